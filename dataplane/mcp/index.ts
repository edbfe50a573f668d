// The MCP data plane: a proxy that serves several MCP servers as one Streamable HTTP endpoint, one actor per
// client session (docs/mcp.md).
export type {
  ClientAuthentication,
  McpBackend,
  McpProxyConfig,
  McpRoute,
} from './config.ts';
export { loadMcpProxyConfig, McpConfigError, parseMcpProxyConfig } from './config.ts';
export type { McpProxy, McpProxyOptions } from './mcp-proxy.ts';
export { mcpTraceSubject, startMcpProxy } from './mcp-proxy.ts';
export { registerMcpMetrics } from './metrics.ts';
export type { RunMcpProxyOptions } from './run-mcp-proxy.ts';
export { runMcpProxy } from './run-mcp-proxy.ts';
