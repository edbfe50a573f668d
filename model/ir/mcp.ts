// An MCPRoute as the data planes serve it (model/mcp/ evaluates it): its MCP servers — resolved, with their tool
// selectors and credentials — and its client authentication. The same shape is one route of `switchyard mcp`'s
// configuration document (docs/mcp.md, "The configuration file") and the `mcp` of a RouteIR, which agentgateway
// translates into its own MCP backend. Types only.
import type { ProtectedResourceMetadata } from '../resources/mcp.ts';

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
  /** As the MCPRoute gives it (RFC 9728 fields, camel-cased). */
  resourceMetadata: ProtectedResourceMetadata;
}

export interface McpRouteDocument {
  /** The MCPRoute, `namespace/name` (the value of the route header). */
  name: string;
  path: string;
  backends: McpBackendDocument[];
  authentication?: McpAuthenticationDocument;
}

/** The `mcp` of a RouteIR: the route's servers, and what a data plane cannot serve of it (the route is not served there). */
export interface McpRouteIR extends McpRouteDocument {
  /** Per data plane that cannot serve the route as written: the field and why (its status names it too). */
  readonly unsupported?: { readonly agentgateway?: string };
}
