// MCPRoute served natively by agentgateway, as users run it: `switchyard controller` on a folder of manifests (a
// GatewayClass on agentgateway, a Gateway, an MCPRoute over two MCP servers built with the SDK — tool selectors,
// API keys, OAuth with inline keys — and a second MCPRoute whose OAuth agentgateway cannot verify) serves
// agentgateway's delta xDS. Our delta-xDS client, connected as that Gateway's proxy, receives the route, its MCP
// Backend and one target per server; the selectors' deny rules, evaluated as CEL, hide exactly the tools
// `switchyard mcp` hides of what the servers really list. The route agentgateway cannot serve is not sent and its
// status says why.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@bufbuild/cel';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { AdsTestClient } from '../../backends/envoy/testdata/ads-test-client.ts';
import { toolSelector } from '../../dataplane/mcp/tool-selector.ts';
import { AGENTGATEWAY_TYPE_URL, agentgatewayApi } from '../../protos/agentgateway-api.ts';
import { type ControllerProcess, spawnController } from '../harness/controller-process.ts';
import { freePort } from '../harness/envoy/index.ts';
import { type McpTestServer, startMcpTestServer } from '../harness/mcp/mcp-test-server.ts';

// biome-ignore lint/suspicious/noExplicitAny: decoded proto3 JSON is walked field by field
type Json = Record<string, any>;

const JWKS = '{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y","kid":"k1"}]}';
const SELECTORS = {
  alpha: { excludeRegex: ['^internal_'] },
  beta: { include: ['echo', 'drop_table'], exclude: ['drop_table'] },
};

let dir: string;
let controller: ControllerProcess;
let alpha: McpTestServer;
let beta: McpTestServer;
let xdsPort: number;
let resources: Map<string, Json>;

function manifests(): string {
  const service = (name: string, port: number) => `
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: tools }
spec: { ports: [{ name: http, port: 8000 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: tools, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]
ports: [{ name: http, port: ${port} }]
---`;
  return `
apiVersion: switchyard.dev/v1alpha1
kind: GatewayClassParameters
metadata: { name: agw }
spec: { backend: agentgateway }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: switchyard }
spec:
  controllerName: switchyard.dev/gateway-controller
  parametersRef: { group: switchyard.dev, kind: GatewayClassParameters, name: agw }
---
apiVersion: v1
kind: Namespace
metadata: { name: tools }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: tools }
spec:
  gatewayClassName: switchyard
  listeners: [{ name: http, protocol: HTTP, port: 8080 }]
---
${service('alpha', alpha.port)}
${service('beta', beta.port)}
apiVersion: v1
kind: Secret
metadata: { name: alpha-token, namespace: tools }
stringData: { apiKey: alpha-secret }
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: MCPRoute
metadata: { name: tools, namespace: tools }
spec:
  parentRefs: [{ name: gw }]
  backendRefs:
    - name: alpha
      port: 8000
      toolSelector: ${JSON.stringify(SELECTORS.alpha)}
      securityPolicy: { apiKey: { secretRef: { name: alpha-token } } }
    - name: beta
      port: 8000
      toolSelector: ${JSON.stringify(SELECTORS.beta)}
      securityPolicy: { apiKey: { inline: beta-key, header: X-Api-Key } }
  securityPolicy:
    oauth:
      issuer: https://issuer.test
      jwks: { localJWKS: { type: Inline, inline: '${JWKS}' } }
      protectedResourceMetadata: { resource: https://gw.test/mcp }
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: MCPRoute
metadata: { name: remote-keys, namespace: tools }
spec:
  parentRefs: [{ name: gw }]
  path: /remote
  backendRefs: [{ name: alpha, port: 8000 }]
  securityPolicy:
    oauth:
      issuer: https://issuer.test
      jwks: { remoteJWKS: { uri: https://issuer.test/certs } }
      protectedResourceMetadata: { resource: https://gw.test/remote }
`;
}

/** Subscribes as the Gateway's proxy and ACKs until `done` holds for the resources received (name → decoded). */
async function receive(
  client: AdsTestClient,
  done: (names: Set<string>) => boolean,
): Promise<Map<string, Json>> {
  const stream = client.delta();
  stream.send({
    node: {
      id: 'agw-1',
      cluster: '',
      user_agent_name: 'agentgateway',
      metadata: { fields: { GATEWAY_NAME: { stringValue: 'gw' }, NAMESPACE: { stringValue: 'tools' } } },
    },
    type_url: AGENTGATEWAY_TYPE_URL.resource,
  });
  const received = new Map<string, Json>();
  while (!done(new Set(received.keys()))) {
    const response = await stream.next(30_000);
    for (const resource of response.resources)
      received.set(resource.name, agentgatewayApi().decodeResource(resource.resource.value) as Json);
    for (const name of response.removed_resources) received.delete(name);
    stream.send({ type_url: response.type_url, response_nonce: response.nonce });
  }
  stream.close();
  return received;
}

async function toolsOf(server: McpTestServer): Promise<string[]> {
  const client = new Client({ name: 'lister', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${server.port}/mcp`)));
  const { tools } = await client.listTools();
  await client.close();
  return tools.map((tool) => tool.name);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-mcp-agw-'));
  [alpha, beta] = await Promise.all([
    startMcpTestServer({ name: 'alpha', tools: ['internal_debug', 'internal_dump'] }),
    startMcpTestServer({ name: 'beta', json: true, tools: ['drop_table'] }),
  ]);
  xdsPort = await freePort();
  await writeFile(join(dir, 'tools.yaml'), manifests());
  controller = spawnController([
    `--files=${join(dir, 'tools.yaml')}`,
    `--status-dir=${join(dir, 'status')}`,
    `--agentgateway-xds-address=127.0.0.1:${xdsPort}`,
  ]);
  await controller.logged((entry) => entry.msg === 'switchyard controller started');
  const client = new AdsTestClient(`127.0.0.1:${xdsPort}`);
  try {
    resources = await receive(
      client,
      (names) => names.has('backend/mcp/tools/tools') && [...names].some((n) => n.includes('/tools/tools/1')),
    );
  } finally {
    client.close();
  }
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await Promise.all([alpha?.stop(), beta?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('MCPRoute on agentgateway through the controller and delta xDS', () => {
  test('the route and its metadata path go to the MCP Backend; the route agentgateway cannot verify is not sent', () => {
    const routes = [...resources.entries()].filter(([name]) => name.startsWith('route/'));
    expect(routes.map(([, r]) => [r.route.matches, r.route.backends])).toEqual([
      [[{ path: { exact: '/mcp' } }], [{ backend: { backend: 'mcp/tools/tools' }, weight: 1 }]],
      [
        [{ path: { exact: '/.well-known/oauth-protected-resource/mcp' } }],
        [{ backend: { backend: 'mcp/tools/tools' }, weight: 1 }],
      ],
    ]);
    expect([...resources.keys()].filter((name) => name.includes('remote'))).toEqual([]);
    const status = parse(
      readFileSync(join(dir, 'status', 'MCPRoute', 'tools', 'remote-keys.yaml'), 'utf8'),
    ) as { status: { conditions: Json[] } };
    expect(status.status.conditions[0]).toMatchObject({
      type: 'NotAccepted',
      status: 'False',
      reason: 'UnsupportedValue',
      message:
        'not served on agentgateway Gateway tools/gw: spec.securityPolicy.oauth.jwks.remoteJWKS: agentgateway validates tokens against inline keys only; give localJWKS',
    });
  });

  test('one target per server, each with its own credentials at its own address; OAuth with the inline keys', () => {
    const mcp = resources.get('backend/mcp/tools/tools')!.backend;
    expect(mcp.mcp).toEqual({
      targets: [
        {
          name: 'alpha',
          backend: { backend: 'mcp/tools/tools/alpha' },
          path: '/mcp',
          protocol: 'STREAMABLE_HTTP',
        },
        {
          name: 'beta',
          backend: { backend: 'mcp/tools/tools/beta' },
          path: '/mcp',
          protocol: 'STREAMABLE_HTTP',
        },
      ],
      prefixMode: 'ALWAYS',
      failureMode: 'FAIL_OPEN',
    });
    expect(mcp.inlinePolicies[1].mcpAuthentication).toEqual({
      issuer: 'https://issuer.test',
      jwksInline: JWKS,
      resourceMetadata: { extra: { resource: 'https://gw.test/mcp', bearer_methods_supported: ['header'] } },
      mode: 'STRICT',
    });
    expect(resources.get('backend/mcp/tools/tools/alpha')!.backend).toMatchObject({
      static: { host: '127.0.0.1', port: alpha.port },
      inlinePolicies: [
        {
          auth: {
            key: {
              secret: 'alpha-secret',
              authorizationLocation: { header: { name: 'Authorization', prefix: 'Bearer ' } },
            },
          },
        },
      ],
    });
    expect(resources.get('backend/mcp/tools/tools/beta')!.backend).toMatchObject({
      static: { host: '127.0.0.1', port: beta.port },
      inlinePolicies: [
        { auth: { key: { secret: 'beta-key', authorizationLocation: { header: { name: 'X-Api-Key' } } } } },
      ],
    });
  });

  test("the deny rules, as CEL, hide exactly what switchyard mcp's selectors hide of the servers' tools", async () => {
    const deny: string[] =
      resources.get('backend/mcp/tools/tools')!.backend.inlinePolicies[0].mcpAuthorization.deny;
    const denied = (target: string, name: string) =>
      deny.some(
        (rule) =>
          run(rule, {
            mcp: new Map([
              [
                'tool',
                new Map([
                  ['target', target],
                  ['name', name],
                ]),
              ],
            ]),
          }) === true,
      );
    for (const [target, server] of [
      ['alpha', alpha],
      ['beta', beta],
    ] as const) {
      const names = await toolsOf(server);
      const selector = toolSelector(SELECTORS[target]);
      const hiddenByAgentgateway = names.filter((name) => denied(target, name));
      expect(hiddenByAgentgateway).toEqual(names.filter((name) => !selector.allows(name)));
      expect(hiddenByAgentgateway.length).toBeGreaterThan(0);
      // Another server's tool of the same name is not touched by this server's rules.
      expect(names.filter((name) => denied('gamma', name))).toEqual([]);
    }
    // Prompts and resources have no `mcp.tool`: no rule denies them.
    const prompt = new Map([
      [
        'prompt',
        new Map([
          ['target', 'beta'],
          ['name', 'greeting'],
        ]),
      ],
    ]);
    expect(deny.filter((rule) => run(rule, { mcp: prompt }) === true)).toEqual([]);
  });
});
