// The MCP proxy's configuration document (docs/mcp.md, "The configuration file"), as the control plane writes it
// from MCPRoutes: one route per MCPRoute with its backends' addresses, tool selectors and credentials, and its
// client authentication (the shapes, shared with the IR, are in model/ir/mcp.ts). `switchyard mcp` reads exactly
// this shape (dataplane/mcp/config.ts).
import type { McpRouteDocument } from '../ir/mcp.ts';

/** The request header naming the MCPRoute: Envoy sets it on the route's requests, the proxy routes by it. */
export const MCP_ROUTE_HEADER = 'x-switchyard-mcp-route';

export interface McpProxyConfigDocument {
  routes: McpRouteDocument[];
}

/** A route's protected resource metadata as far as its configuration says, without what the server adds. */
export interface ProtectedResourceFields {
  readonly resource: string;
  readonly resourceName?: string;
  readonly scopesSupported?: readonly string[];
  readonly resourceSigningAlgValuesSupported?: readonly string[];
  readonly resourceDocumentation?: string;
  readonly resourcePolicyUri?: string;
}

/**
 * Those fields under their RFC 9728 names, tokens accepted in the Authorization header only; the data plane adds
 * `authorization_servers` (both `switchyard mcp` and agentgateway name the route's issuer).
 */
export function protectedResourceFields(metadata: ProtectedResourceFields): Record<string, unknown> {
  const optional = (name: string, value: unknown) => (value === undefined ? {} : { [name]: value });
  return {
    resource: metadata.resource,
    bearer_methods_supported: ['header'],
    ...optional('resource_name', metadata.resourceName),
    ...optional('scopes_supported', metadata.scopesSupported),
    ...optional('resource_signing_alg_values_supported', metadata.resourceSigningAlgValuesSupported),
    ...optional('resource_documentation', metadata.resourceDocumentation),
    ...optional('resource_policy_uri', metadata.resourcePolicyUri),
  };
}

/** The value of MCP_ROUTE_HEADER for a route. */
export function mcpRouteName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
