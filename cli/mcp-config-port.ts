// Delivering the MCP proxy configuration (model/mcp/) to `switchyard mcp`, as the ext_proc configuration is
// delivered (cli/extproc-config-port.ts): a file in standalone mode (`controller --mcp-config`), replaced
// atomically and owner-only (it holds backend credentials); one Secret in a cluster, applied server-side.
import { stringify } from 'yaml';
import type { McpProxyConfigDocument } from '../model/mcp/proxy-config.ts';
import type { KubeClient } from '../sources/kubernetes/client.ts';
import {
  kubernetesConfigSecretWriter,
  MCP_CONFIG_SECRET_KIND,
  type SecretTarget,
} from '../sources/kubernetes/extproc-config-writer.ts';
import { writeConfigFile } from './extproc-config-port.ts';

export type McpConfigPort = (request: { config: McpProxyConfigDocument }) => Promise<{ written: boolean }>;

/** Writes each configuration to `path` (YAML, mode 0600). */
export function fileMcpConfigPort(path: string): McpConfigPort {
  return async ({ config }) => writeConfigFile(path, mcpConfigText(config));
}

/** Cluster mode: server-side applies the document to one Secret that the `switchyard mcp` Deployment mounts. */
export function secretMcpConfigPort(client: KubeClient, target: SecretTarget): McpConfigPort {
  const apply = kubernetesConfigSecretWriter(client, MCP_CONFIG_SECRET_KIND, target);
  return async ({ config }) => apply(mcpConfigText(config));
}

/** No MCP proxy to configure: the document is dropped. */
export const discardMcpConfig: McpConfigPort = async () => ({ written: false });

export function mcpConfigText(config: McpProxyConfigDocument): string {
  return `# Written by the Switchyard control plane from MCPRoutes; do not edit (see docs/mcp.md).\n${stringify(config)}`;
}
