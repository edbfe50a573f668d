// MCPRoutes on agentgateway, from manifests: the route's rules go to its MCP Backend, which lists one target per
// MCP server (a static Backend with its own credentials and TLS), the tool selectors as deny rules, OAuth as MCP
// authentication; each resource fits agentgateway's proto. What agentgateway cannot serve is refused on it.
import { describe, expect, it } from 'vitest';
import { buildGatewayIR } from '../../model/evaluation/build-gateway-ir.ts';
import { evaluateMCP } from '../../model/mcp/evaluate-mcp.ts';
import { evaluateMCPRoute } from '../../model/mcp/route-evaluation.ts';
import type { MCPRoute } from '../../model/resources/mcp.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import { CONTROLLER, NOW, storeOf } from '../../model/testdata/fixtures.ts';
import { agentgatewayApi } from '../../protos/agentgateway-api.ts';
import { denyRules } from './mcp.ts';
import { onAgentgateway } from './testdata/agentgateway-class.ts';
import { translateGateway } from './translate-gateway.ts';

const options = { controllerName: CONTROLLER, now: NOW };
const LISTENER = '8080/tools/gw/Gateway/tools/gw/http';

/** The MCP fixture with its GatewayClass on agentgateway. */
function agentgatewayWorld(): ResourceStore {
  return onAgentgateway(storeOf('mcp.yaml'));
}

function translate(store: ResourceStore) {
  const evaluations = (store.list('MCPRoute') as MCPRoute[]).map((r) => evaluateMCPRoute(r, store, options));
  const ir = buildGatewayIR(
    store.get('Gateway', 'tools', 'gw')!,
    store,
    evaluations.map((e) => e.evaluation),
    { controllerName: CONTROLLER },
  )!;
  return { resources: translateGateway(ir, {}), evaluations };
}

describe('MCPRoutes on agentgateway', () => {
  it('routes both rules to the MCP Backend, one target per server, selectors as deny rules, OAuth inline', () => {
    const { resources } = translate(agentgatewayWorld());
    const route = (rule: number) => resources.routes[`${LISTENER}/HTTPRoute/tools/tools/${rule}`];
    expect(route(0)).toEqual({
      key: `${LISTENER}/HTTPRoute/tools/tools/0`,
      listenerKey: LISTENER,
      name: { kind: 'HTTPRoute', name: 'tools', namespace: 'tools', ruleName: 'mcp' },
      matches: [{ path: { exact: '/tools/mcp' } }],
      backends: [{ backend: { backend: 'mcp/tools/tools' }, weight: 1 }],
    });
    expect(route(1)).toMatchObject({
      matches: [{ path: { exact: '/.well-known/oauth-protected-resource/tools/mcp' } }],
      backends: [{ backend: { backend: 'mcp/tools/tools' }, weight: 1 }],
    });
    expect(resources.backends['mcp/tools/tools']).toEqual({
      key: 'mcp/tools/tools',
      name: { name: 'tools', namespace: 'tools' },
      mcp: {
        targets: [
          {
            name: 'github',
            backend: { backend: 'mcp/tools/tools/github' },
            path: '/mcp/x/issues',
            protocol: 'STREAMABLE_HTTP',
          },
          {
            name: 'docs',
            backend: { backend: 'mcp/tools/tools/docs' },
            path: '/mcp',
            protocol: 'STREAMABLE_HTTP',
          },
          {
            name: 'saas',
            backend: { backend: 'mcp/tools/tools/saas' },
            path: '/v1/mcp',
            protocol: 'STREAMABLE_HTTP',
          },
        ],
        prefixMode: 'ALWAYS',
        failureMode: 'FAIL_OPEN',
      },
      inlinePolicies: [
        {
          mcpAuthorization: {
            deny: [
              'mcp.tool.target == "github" && !(mcp.tool.name.matches(".*issues?.*"))',
              'mcp.tool.target == "docs" && !(mcp.tool.name in ["search"])',
              'mcp.tool.target == "docs" && mcp.tool.name in ["delete"]',
            ],
          },
        },
        {
          mcpAuthentication: {
            issuer: 'https://auth.example.com/realms/main',
            audiences: ['https://gw.example.com/tools/mcp'],
            jwksInline: '{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y","kid":"k1"}]}',
            resourceMetadata: {
              extra: {
                resource: 'https://gw.example.com/tools/mcp',
                bearer_methods_supported: ['header'],
                scopes_supported: ['mcp.tools'],
              },
            },
            mode: 'STRICT',
          },
        },
      ],
    });
    // Each server's credentials on its own target only; a session stays on one endpoint; TLS to the SaaS server.
    expect(resources.backends['mcp/tools/tools/github']).toEqual({
      key: 'mcp/tools/tools/github',
      name: { name: 'github', namespace: 'tools' },
      static: { host: '127.0.0.1', port: 18001 },
      inlinePolicies: [
        {
          auth: {
            key: {
              secret: 'ghp-test',
              authorizationLocation: { header: { name: 'Authorization', prefix: 'Bearer ' } },
            },
          },
        },
      ],
    });
    expect(resources.backends['mcp/tools/tools/docs']).toMatchObject({
      static: { host: '127.0.0.1', port: 18002 },
      inlinePolicies: [
        { auth: { key: { secret: 'docs-key', authorizationLocation: { header: { name: 'X-Api-Key' } } } } },
      ],
    });
    expect(resources.backends['mcp/tools/tools/saas']).toEqual({
      key: 'mcp/tools/tools/saas',
      name: { name: 'saas', namespace: 'tools' },
      static: { host: 'mcp.example.com', port: 443 },
      inlinePolicies: [{ backendTls: { hostname: 'mcp.example.com' } }],
    });
    // The route without OAuth or selectors: no inline policies; nothing to the MCP proxy's header.
    expect(resources.backends['mcp/tools/plain']).not.toHaveProperty('inlinePolicies');
    expect(JSON.stringify(resources.routes)).not.toContain('x-switchyard-mcp-route');
    // Every resource fits agentgateway's proto and reads back the same.
    const api = agentgatewayApi();
    for (const backend of Object.values(resources.backends))
      expect(api.decodeResource(api.encodeResource({ backend }))).toEqual({ backend });
    for (const route of Object.values(resources.routes))
      expect(api.decodeResource(api.encodeResource({ route }))).toMatchObject({ route: { key: route.key } });
    expect(resources.problems).toEqual([]);
  });

  it('leaves routes only agentgateway Gateways accept (and their keys) out of the MCP proxy configuration', () => {
    expect(evaluateMCP(agentgatewayWorld(), options).config).toEqual({ routes: [] });
    expect(evaluateMCP(storeOf('mcp.yaml'), options).config.routes.map((r) => r.name)).toEqual([
      'tools/plain',
      'tools/tools',
    ]);
  });

  it('puts an API key in a query parameter when the route says so', () => {
    const store = agentgatewayWorld();
    const plain = store.get('MCPRoute', 'tools', 'plain') as MCPRoute;
    store.upsert({
      ...plain,
      spec: {
        ...plain.spec,
        backendRefs: [
          { name: 'docs', port: 80, securityPolicy: { apiKey: { inline: 'q-key', queryParam: 'api_key' } } },
        ],
      },
    } as never);
    const { resources } = translate(store);
    expect(resources.backends['mcp/tools/plain/docs']).toMatchObject({
      inlinePolicies: [
        {
          auth: { key: { secret: 'q-key', authorizationLocation: { queryParameter: { name: 'api_key' } } } },
        },
      ],
    });
  });

  it('refuses OAuth with remote keys on agentgateway: NotAccepted UnsupportedValue naming the field, no Route', () => {
    const store = agentgatewayWorld();
    const tools = store.get('MCPRoute', 'tools', 'tools') as MCPRoute;
    const oauth = tools.spec.securityPolicy!.oauth!;
    store.upsert({
      ...tools,
      spec: {
        ...tools.spec,
        securityPolicy: {
          oauth: { ...oauth, jwks: { remoteJWKS: { uri: 'https://auth.example.com/certs' } } },
        },
      },
    } as never);
    const { resources, evaluations } = translate(store);
    const status = evaluations.find((e) => e.evaluation.route.name === 'tools')!.status.conditions![0];
    expect(status).toMatchObject({
      type: 'NotAccepted',
      status: 'False',
      reason: 'UnsupportedValue',
      message:
        'not served on agentgateway Gateway tools/gw: spec.securityPolicy.oauth.jwks.remoteJWKS: agentgateway validates tokens against inline keys only; give localJWKS',
    });
    expect(Object.keys(resources.routes).filter((k) => k.includes('/tools/tools/'))).toEqual([]);
    expect(resources.backends).not.toHaveProperty('mcp/tools/tools');
    expect(resources.problems).toEqual([
      'MCPRoute tools/tools is not served on agentgateway: spec.securityPolicy.oauth.jwks.remoteJWKS: agentgateway validates tokens against inline keys only; give localJWKS',
    ]);
    // The other route is served as before.
    expect(resources.backends).toHaveProperty('mcp/tools/plain');
  });

  it('keeps the route on Envoy Gateways: Accepted, naming only the agentgateway Gateway that cannot serve it', () => {
    const store = agentgatewayWorld();
    store.upsert({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'envoy', generation: 1 },
      spec: { controllerName: CONTROLLER },
    } as never);
    store.upsert({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: 'tools', generation: 1 },
      spec: { gatewayClassName: 'envoy', listeners: [{ name: 'http', protocol: 'HTTP', port: 8081 }] },
    } as never);
    const tools = store.get('MCPRoute', 'tools', 'tools') as MCPRoute;
    const oauth = tools.spec.securityPolicy!.oauth!;
    const { jwks: _jwks, ...discovered } = oauth;
    store.upsert({
      ...tools,
      spec: {
        ...tools.spec,
        parentRefs: [{ name: 'gw' }, { name: 'edge' }],
        securityPolicy: { oauth: discovered },
      },
    } as never);
    const result = evaluateMCPRoute(store.get('MCPRoute', 'tools', 'tools') as MCPRoute, store, options);
    expect(result.status.conditions![0]).toMatchObject({
      type: 'Accepted',
      status: 'True',
      message:
        'MCP route accepted: github, docs, saas; not served on agentgateway Gateway tools/gw: spec.securityPolicy.oauth.jwks: agentgateway cannot discover keys from the issuer; give localJWKS',
    });
    // The MCP proxy (Envoy's) gets the route, without what only agentgateway's translation reads.
    expect(result.config?.name).toBe('tools/tools');
    expect(result.config).not.toHaveProperty('unsupported');
  });

  it('writes selector names and expressions as CEL string literals', () => {
    expect(denyRules('a-b', { excludeRegex: ['^x\\d+"$'], include: ['q"uote'] })).toEqual([
      'mcp.tool.target == "a-b" && !(mcp.tool.name in ["q\\"uote"])',
      'mcp.tool.target == "a-b" && (mcp.tool.name.matches("^x\\\\d+\\"$"))',
    ]);
  });
});
