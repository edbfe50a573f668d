// The MCPRoutes of a whole view: their statuses and the one MCP proxy configuration they make together.

import type { AIStatusUpdate } from '../ai-gateway/statuses.ts';
import type { MCPRoute } from '../resources/mcp.ts';
import { formatResourceKey, keyOf } from '../resources/resource-key.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import type { McpProxyConfigDocument } from './proxy-config.ts';
import { evaluateMCPRoute, type MCPOptions } from './route-evaluation.ts';

export interface MCPResult {
  readonly statuses: readonly AIStatusUpdate[];
  readonly config: McpProxyConfigDocument;
}

/** Every MCPRoute of ours (by namespace/name): its status; the accepted ones make the proxy's configuration. */
export function evaluateMCP(view: ResourceView, options: MCPOptions): MCPResult {
  const statuses: AIStatusUpdate[] = [];
  const config: McpProxyConfigDocument = { routes: [] };
  const routes = (view.list('MCPRoute') as MCPRoute[])
    .slice()
    .sort((a, b) => formatResourceKey(keyOf(a)).localeCompare(formatResourceKey(keyOf(b))));
  for (const route of routes) {
    const result = evaluateMCPRoute(route, view, options);
    if (!result.ours) continue;
    statuses.push({ key: keyOf(route), status: result.status });
    if (result.config !== undefined) config.routes.push(result.config);
  }
  return { statuses, config };
}
