// The MCP gateway as users run it: `switchyard controller` on a folder of manifests (a GatewayClass, a Gateway, an
// MCPRoute over three MCP servers with tool selectors, an API key from a Secret and OAuth) runs a real Envoy and
// writes the MCP proxy's configuration; `switchyard mcp` serves from that file; the SDK's client talks to the
// Gateway's listener. Three MCP servers built with the SDK run on loopback.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { type ControllerProcess, spawnController } from '../harness/controller-process.ts';
import { freePort } from '../harness/envoy/index.ts';
import { type McpProxyProcess, spawnMcpProxy } from '../harness/mcp/mcp-proxy-process.ts';
import { type McpTestServer, startMcpTestServer } from '../harness/mcp/mcp-test-server.ts';
import { provisionEnvoy } from '../provision/envoy.ts';

const ISSUER = 'https://issuer.test/realms/main';

let dir: string;
let controller: ControllerProcess;
let proxy: McpProxyProcess;
let alpha: McpTestServer;
let beta: McpTestServer;
let gamma: McpTestServer;
let gatewayPort: number;
let mcpPort: number;
let mcpConfigPath: string;
let endpoint: URL;
let token: string;
let resource: string;

function manifests(publicJwks: string): string {
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
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: switchyard }
spec: { controllerName: switchyard.dev/gateway-controller }
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
  listeners: [{ name: http, protocol: HTTP, port: ${gatewayPort} }]
---
${service('alpha', alpha.port)}
${service('beta', beta.port)}
${service('gamma', gamma.port)}
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
  path: /mcp
  backendRefs:
    - name: alpha
      port: 8000
      toolSelector: { excludeRegex: ["^internal_"] }
      securityPolicy: { apiKey: { secretRef: { name: alpha-token } } }
    - name: beta
      port: 8000
      toolSelector: { exclude: [drop_table] }
      securityPolicy: { apiKey: { inline: beta-key, header: X-Api-Key } }
    - name: gamma
      port: 8000
      toolSelector: { include: [echo, whoami] }
  securityPolicy:
    oauth:
      issuer: ${ISSUER}
      audiences: [${resource}]
      jwks: { localJWKS: { type: Inline, inline: '${publicJwks}' } }
      protectedResourceMetadata: { resource: ${resource}, scopesSupported: [mcp.tools] }
`;
}

async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

function textOf(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0]!.text;
}

/** `switchyard mcp` on the address Envoy was told (--mcp-address), serving the controller's file. */
async function startProxy(options: { poolSize?: number; sessionIdleTimeoutSeconds?: number } = {}) {
  proxy = spawnMcpProxy({ configPath: mcpConfigPath, listen: `127.0.0.1:${mcpPort}`, ...options });
  await proxy.listening();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-mcp-e2e-'));
  [alpha, beta, gamma] = await Promise.all([
    startMcpTestServer({ name: 'alpha', tools: ['internal_debug'] }),
    startMcpTestServer({ name: 'beta', json: true, tools: ['drop_table'] }),
    startMcpTestServer({ name: 'gamma' }),
  ]);
  [gatewayPort, mcpPort] = await Promise.all([freePort(), freePort()]);
  resource = `http://127.0.0.1:${gatewayPort}/mcp`;
  endpoint = new URL(resource);
  const keys = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256' };
  token = await new SignJWT({ scope: 'mcp.tools' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setSubject('ann')
    .setIssuer(ISSUER)
    .setAudience(resource)
    .setExpirationTime('1h')
    .sign(keys.privateKey);
  await writeFile(join(dir, 'tools.yaml'), manifests(JSON.stringify({ keys: [publicJwk] })));
  mcpConfigPath = join(dir, 'run', 'mcp.yaml');
  controller = spawnController([
    `--files=${join(dir, 'tools.yaml')}`,
    `--status-dir=${join(dir, 'status')}`,
    `--local-envoy=${await provisionEnvoy()}`,
    `--mcp-config=${mcpConfigPath}`,
    `--mcp-address=127.0.0.1:${mcpPort}`,
  ]);
  await controller.logged((entry) => entry.msg === 'switchyard controller started');
  // The controller writes the proxy's configuration; the proxy starts on it, as in production.
  while (!existsSync(mcpConfigPath) || !readFileSync(mcpConfigPath, 'utf8').includes('tools/tools'))
    await new Promise((resolve) => setTimeout(resolve, 100));
  await startProxy();
  // Envoy is up once the route answers (401: the proxy refuses the anonymous probe).
  for (;;) {
    const response = await fetch(endpoint, { method: 'POST' }).catch(() => undefined);
    if (response?.status === 401) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await controller?.stop();
  await Promise.all([alpha?.stop(), beta?.stop(), gamma?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('MCPRoute through the controller, Envoy and the MCP proxy', () => {
  test('the MCPRoute is accepted; the proxy configuration names its servers, selectors and credentials', () => {
    const status = parse(readFileSync(join(dir, 'status', 'MCPRoute', 'tools', 'tools.yaml'), 'utf8')) as {
      status: { conditions: { type: string; status: string; message: string }[] };
    };
    expect(status.status.conditions[0]).toMatchObject({
      type: 'Accepted',
      status: 'True',
      message: 'MCP route accepted: alpha, beta, gamma',
    });
    const config = parse(readFileSync(mcpConfigPath, 'utf8')) as { routes: { backends: unknown[] }[] };
    expect(config.routes[0]!.backends).toContainEqual({
      name: 'alpha',
      url: 'http://alpha.tools.svc.cluster.local:8000/mcp',
      endpoints: [`127.0.0.1:${alpha.port}`],
      toolSelector: { excludeRegex: ['^internal_'] },
      apiKey: { key: 'alpha-secret' },
    });
  });

  test('an unauthenticated client gets 401 with the challenge; the metadata is served through Envoy', async () => {
    const anonymous = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="http://127.0.0.1:${gatewayPort}/.well-known/oauth-protected-resource/mcp", scope="mcp.tools"`,
    );
    const sdk = new Client({ name: 'anonymous', version: '1.0.0' });
    await expect(sdk.connect(new StreamableHTTPClientTransport(endpoint))).rejects.toMatchObject({
      code: 401,
    });
    const metadata = await fetch(`http://127.0.0.1:${gatewayPort}/.well-known/oauth-protected-resource/mcp`);
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toMatchObject({ resource, authorization_servers: [ISSUER] });
    const forged = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(forged.status).toBe(401);
  });

  test('lists the tools of the three servers, filtered, and calls each through the Gateway', async () => {
    const { client } = await connect();
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining(['alpha__echo', 'beta__echo', 'gamma__echo', 'gamma__whoami']),
    );
    for (const hidden of ['alpha__internal_debug', 'beta__drop_table', 'gamma__ask', 'gamma__progress'])
      expect(names).not.toContain(hidden);
    expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'a' } }))).toBe(
      'alpha:echo:a',
    );
    expect(textOf(await client.callTool({ name: 'beta__echo', arguments: { text: 'b' } }))).toBe(
      'beta:echo:b',
    );
    expect(textOf(await client.callTool({ name: 'gamma__echo', arguments: { text: 'c' } }))).toBe(
      'gamma:echo:c',
    );
    await client.close();
  });

  test('a filtered tool is refused and never reaches its server', async () => {
    const { client } = await connect();
    const before = beta.seen.filter((r) => r.rpcMethod === 'tools/call').length;
    await expect(client.callTool({ name: 'beta__drop_table', arguments: {} })).rejects.toThrow(
      'Unknown tool: beta__drop_table',
    );
    await expect(client.callTool({ name: 'alpha__internal_debug', arguments: {} })).rejects.toThrow(
      'Unknown tool: alpha__internal_debug',
    );
    expect(beta.seen.filter((r) => r.rpcMethod === 'tools/call').length).toBe(before);
    await client.close();
  });

  test('credentials reach only their backend, and the client token reaches none', async () => {
    const { client } = await connect();
    const seen = await Promise.all(
      ['alpha', 'beta', 'gamma'].map(async (b) =>
        JSON.parse(textOf(await client.callTool({ name: `${b}__whoami`, arguments: {} }))),
      ),
    );
    expect(seen).toEqual([
      expect.objectContaining({ server: 'alpha', authorization: 'Bearer alpha-secret', apiKey: null }),
      expect.objectContaining({ server: 'beta', authorization: null, apiKey: 'beta-key' }),
      expect.objectContaining({ server: 'gamma', authorization: null, apiKey: null }),
    ]);
    for (const request of [...alpha.seen, ...beta.seen, ...gamma.seen])
      expect(String(request.headers.authorization ?? '')).not.toContain(token);
    await client.close();
  });

  test('a backend killed mid-session: a clear error for its tools while the others work', async () => {
    const { client } = await connect();
    expect(textOf(await client.callTool({ name: 'gamma__echo', arguments: { text: '1' } }))).toBe(
      'gamma:echo:1',
    );
    await gamma.stop();
    try {
      await expect(client.callTool({ name: 'gamma__echo', arguments: {} })).rejects.toThrow(
        "MCP error -32603: backend 'gamma' is unreachable: connect ECONNREFUSED",
      );
      expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: '2' } }))).toBe(
        'alpha:echo:2',
      );
      const listed = await client.listTools();
      expect(listed._meta?.['switchyard/unavailableBackends']).toEqual([
        { backend: 'gamma', error: expect.stringContaining("backend 'gamma' is unreachable") },
      ]);
    } finally {
      await gamma.start();
    }
    expect(textOf(await client.callTool({ name: 'gamma__echo', arguments: { text: '3' } }))).toBe(
      'gamma:echo:3',
    );
    await client.close();
  });

  test('many concurrent sessions through Envoy up to the pool; one more gets 503', async () => {
    await proxy.stop();
    await startProxy({ poolSize: 12 });
    const sessions = await Promise.all(Array.from({ length: 12 }, () => connect()));
    const answers = await Promise.all(
      sessions.map(({ client }, i) =>
        client
          .callTool({ name: i % 2 === 0 ? 'alpha__echo' : 'beta__echo', arguments: { text: String(i) } })
          .then(textOf),
      ),
    );
    expect(answers).toEqual(sessions.map((_, i) => `${i % 2 === 0 ? 'alpha' : 'beta'}:echo:${i}`));
    const refused = new Client({ name: 'one-too-many', version: '1.0.0' });
    await expect(
      refused.connect(
        new StreamableHTTPClientTransport(endpoint, {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      ),
    ).rejects.toMatchObject({ code: 503 });
    await Promise.all(sessions.map(({ client }) => client.close()));
  });

  test('an idle session expires: the client gets 404 and initialises again', async () => {
    await proxy.stop();
    await startProxy({ sessionIdleTimeoutSeconds: 1 });
    const { client, transport } = await connect();
    await client.callTool({ name: 'alpha__echo', arguments: {} });
    const sessionId = transport.sessionId;
    await proxy.logged((entry) => entry.msg === 'mcp session ended' && entry.session === sessionId);
    await expect(client.callTool({ name: 'alpha__echo', arguments: {} })).rejects.toMatchObject({
      code: 404,
    });
    const again = await connect();
    expect(textOf(await again.client.callTool({ name: 'alpha__echo', arguments: { text: 'x' } }))).toBe(
      'alpha:echo:x',
    );
    await again.client.close();
  });
});
