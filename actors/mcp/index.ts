// Envoy AI Gateway's MCPRoute in the control plane: a controller owns MCPRoutes in the shared state (the
// reference validator evaluates them with model/mcp/), and a writer delivers the MCP proxy configuration they
// make through a port (cli/mcp-config-port.ts).

import type { McpProxyConfigDocument } from '../../model/mcp/proxy-config.ts';
import type { KindName } from '../../model/resources/kinds.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import type { EffectReply } from '../../runtime/outbox.ts';
import { type ConfigWriterInput, configWriterSpec } from '../shared/config-writer.ts';
import { kindOwnerSpec } from '../shared/kind-owner-spec.ts';
import { MCP_CONFIG_WRITER, MCP_CONTROLLER, type McpConfigDesired } from './messages.ts';

export { MCP_CONFIG_WRITER, MCP_CONTROLLER } from './messages.ts';

export const MCP_OWNED_KINDS: readonly KindName[] = ['MCPRoute'];

export function mcpControllerSpec(store: ResourceStore) {
  return kindOwnerSpec(MCP_CONTROLLER, MCP_OWNED_KINDS, store);
}

export function mcpConfigWriterSpec(
  write: (request: { config: McpProxyConfigDocument }) => Promise<unknown>,
  input: ConfigWriterInput = {},
): ActorSpec<McpConfigDesired | EffectReply> {
  return configWriterSpec(MCP_CONFIG_WRITER, write, input);
}
