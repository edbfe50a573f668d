import { describe, expect, it } from 'vitest';
import type { Json } from './envoy-types.ts';
import { MCP_PROXY_CLUSTER } from './mcp.ts';
import { gatewayIR, listener, port, route, rule, service } from './testdata/gateway-ir.ts';
import { translateGateway } from './translate-gateway.ts';

const naming = {
  type: 'RequestHeaderModifier',
  requestHeaderModifier: { set: [{ name: 'x-switchyard-mcp-route', value: 'tools/tools' }] },
};
const mcpRoute = {
  ...route('tools', [
    rule([], {
      name: 'mcp',
      matches: [{ path: { type: 'Exact', value: '/mcp' } }],
      filters: [naming],
      timeouts: { requestMs: 0 },
    }),
    rule([], {
      name: 'oauth-protected-resource-metadata',
      matches: [{ path: { type: 'Exact', value: '/.well-known/oauth-protected-resource/mcp' } }],
      filters: [naming],
    }),
  ]),
  mcp: { name: 'default/tools', path: '/mcp', backends: [] },
};

function routesOf(resources: ReturnType<typeof translateGateway>): Json[] {
  const config = Object.values(resources.routeConfigurations)[0] as { virtualHosts: { routes: Json[] }[] };
  return config.virtualHosts[0]!.routes;
}

describe('MCPRoutes in the Envoy backend', () => {
  it('sends the route path and its metadata path to the MCP proxy, naming the route, with no request timeout', () => {
    const ir = gatewayIR([
      port(8080, [
        listener('http', 'HTTP', [
          mcpRoute,
          route('web', [
            rule([service('web', [9001])], { matches: [{ path: { type: 'PathPrefix', value: '/' } }] }),
          ]),
        ]),
      ]),
    ]);
    const resources = translateGateway(ir, {}, { mcpProxyAddress: '10.0.0.9:1064' });
    const routes = routesOf(resources);
    const mcp = routes.find((r) => String(r.name).includes('/tools/rule/mcp/'))!;
    expect(mcp).toMatchObject({
      match: { path: '/mcp' },
      route: { cluster: MCP_PROXY_CLUSTER, timeout: '0s' },
      requestHeadersToAdd: [
        {
          header: { key: 'x-switchyard-mcp-route', value: 'tools/tools' },
          appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD',
        },
      ],
    });
    expect(mcp.directResponse).toBeUndefined();
    const metadata = routes.find((r) => String(r.name).includes('oauth-protected-resource-metadata'))!;
    expect(metadata).toMatchObject({
      match: { path: '/.well-known/oauth-protected-resource/mcp' },
      route: { cluster: MCP_PROXY_CLUSTER },
    });
    // Other routes of the listener keep their own backends.
    expect(routes.find((r) => String(r.name).includes('/web/'))?.route).toMatchObject({
      cluster: expect.stringContaining('web'),
    });
    expect(resources.clusters[MCP_PROXY_CLUSTER]).toMatchObject({
      type: 'STATIC',
      loadAssignment: {
        endpoints: [
          {
            lbEndpoints: [
              { endpoint: { address: { socketAddress: { address: '10.0.0.9', portValue: 1064 } } } },
            ],
          },
        ],
      },
      typedExtensionProtocolOptions: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          explicitHttpConfig: { httpProtocolOptions: {} },
          commonHttpProtocolOptions: { idleTimeout: '60s' },
        },
      },
    });
  });

  it('adds no MCP cluster to a Gateway without MCP routes', () => {
    const ir = gatewayIR([
      port(8080, [listener('http', 'HTTP', [route('web', [rule([service('web', [9001])])])])]),
    ]);
    expect(translateGateway(ir, {}).clusters[MCP_PROXY_CLUSTER]).toBeUndefined();
  });
});
