// The MCP actors' inboxes: the controller that owns MCPRoutes, and the writer that delivers the MCP proxy's
// configuration to `switchyard mcp` (a file in standalone mode, a Secret in a cluster; see docs/mcp.md).
import type { McpProxyConfigDocument } from '../../model/mcp/proxy-config.ts';
import type { ConfigDesired } from '../shared/config-writer.ts';

export const MCP_CONTROLLER = 'controller.mcp';
export const MCP_CONFIG_WRITER = 'mcp.proxy-config';

/** The whole MCP proxy configuration as it should be now (the writer coalesces to the latest). */
export type McpConfigDesired = ConfigDesired<McpProxyConfigDocument>;
