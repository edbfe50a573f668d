// MCPRoutes (RouteIR with `mcp`): every rule of the route goes to the MCP proxy (`switchyard mcp`), which serves
// the route's MCP servers; the rule's own filters (the route header the proxy finds the route by) and timeouts
// apply. See docs/mcp.md.
import type { RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import { protoDuration } from './duration.ts';
import type { Json } from './envoy-types.ts';
import { serviceCluster } from './service-cluster.ts';

export const MCP_PROXY_CLUSTER = 'switchyard-mcp-proxy';
/** Where Envoy reaches `switchyard mcp` unless the controller says otherwise (`--mcp-address`). */
export const DEFAULT_MCP_PROXY_ADDRESS = '127.0.0.1:1064';

export function hasMcpRoutes(routes: readonly RouteIR[]): boolean {
  return routes.some((route) => route.mcp !== undefined);
}

/** The Envoy routes of one rule of an MCP route: to the proxy, whatever the rule's (absent) backends said. */
export function mcpRoutes(route: RouteIR, rule: RuleIR, routes: readonly Json[]): Json[] {
  if (route.mcp === undefined) return [...routes];
  const request = rule.timeouts?.requestMs;
  return routes.map((envoyRoute) => {
    const { directResponse: _direct, route: _route, ...rest } = envoyRoute;
    return {
      ...rest,
      route: {
        cluster: MCP_PROXY_CLUSTER,
        // A session's standalone stream lasts as long as the session: 0 disables Envoy's 15 s default.
        ...(request === undefined ? {} : { timeout: protoDuration(request) }),
      },
    };
  });
}

/**
 * The cluster of the MCP proxy: HTTP/1.1 (streams are SSE), connections idle for 60 s closed by Envoy first (the
 * proxy keeps idle connections 120 s, so Envoy never reuses one the proxy just closed).
 */
export function mcpProxyCluster(address: string): Json {
  return serviceCluster(MCP_PROXY_CLUSTER, address, {
    explicitHttpConfig: { httpProtocolOptions: {} },
    commonHttpProtocolOptions: { idleTimeout: '60s' },
  });
}
