// The configuration a local agentgateway needs to serve one Gateway from our delta ADS server: where the xDS
// server is, and the Gateway it serves (agentgateway puts these into its Node.metadata, see node-identity.ts).
import type { ResourceKey } from '../../model/resources/resource-key.ts';

export interface AgentgatewayConfigOptions {
  readonly gateway: ResourceKey;
  /** host:port of the controller's agentgateway xDS server. */
  readonly xdsAddress: string;
  /** Admin address of the proxy (host:port); agentgateway's default when absent. */
  readonly adminAddress?: string;
  /** Where the proxy serves its readiness probe (host:port); agentgateway's default (localhost) when absent. */
  readonly readinessAddress?: string;
}

export function agentgatewayConfig(options: AgentgatewayConfigOptions): Record<string, unknown> {
  return {
    config: {
      xdsAddress: `http://${options.xdsAddress}`,
      namespace: options.gateway.namespace ?? '',
      gateway: options.gateway.name,
      ...(options.adminAddress === undefined ? {} : { adminAddr: options.adminAddress }),
      ...(options.readinessAddress === undefined ? {} : { readinessAddr: options.readinessAddress }),
    },
  };
}
