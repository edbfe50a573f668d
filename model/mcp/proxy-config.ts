// The MCP proxy's configuration document (docs/mcp.md, "The configuration file"), as the control plane writes it
// from MCPRoutes: one route per MCPRoute with its backends' addresses, tool selectors and credentials, and its
// client authentication. `switchyard mcp` reads exactly this shape (dataplane/mcp/config.ts).

/** The request header naming the MCPRoute: Envoy sets it on the route's requests, the proxy routes by it. */
export const MCP_ROUTE_HEADER = 'x-switchyard-mcp-route';

export interface McpToolSelectorDocument {
  include?: string[];
  includeRegex?: string[];
  exclude?: string[];
  excludeRegex?: string[];
}

export interface McpBackendDocument {
  name: string;
  url: string;
  /** `host:port` to connect to; absent: the URL's host; empty: no endpoint is ready. */
  endpoints?: string[];
  toolSelector?: McpToolSelectorDocument;
  apiKey?: { key: string; header?: string; queryParam?: string };
}

export interface McpAuthenticationDocument {
  jwt: {
    issuer: string;
    audiences: string[];
    /** Absent: discovered from the issuer's authorization server metadata (RFC 8414). */
    jwks?: { uri: string } | { json: string };
  };
  resourceMetadata: {
    resource: string;
    resourceName?: string;
    scopesSupported?: string[];
    resourceSigningAlgValuesSupported?: string[];
    resourceDocumentation?: string;
    resourcePolicyUri?: string;
  };
}

export interface McpRouteDocument {
  /** The MCPRoute, `namespace/name` (the value of MCP_ROUTE_HEADER). */
  name: string;
  path: string;
  backends: McpBackendDocument[];
  authentication?: McpAuthenticationDocument;
}

export interface McpProxyConfigDocument {
  routes: McpRouteDocument[];
}

/** The value of MCP_ROUTE_HEADER for a route. */
export function mcpRouteName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
