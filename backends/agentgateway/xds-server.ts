// The agentgateway ADS server: gRPC AggregatedDiscoveryService, delta only (DeltaAggregatedResources; the
// state-of-the-world method answers UNIMPLEMENTED), holding one snapshot per Gateway. A proxy is matched to its
// Gateway by Node.metadata (node-identity.ts); a publish reaches only the proxies of that Gateway. It reports every
// proxy's ACKs and NACKs back as `agentgateway.proxy.*` messages. The server plumbing is shared with the Envoy
// backend (backends/shared/ads-server.ts); agentgateway's part is the snapshot, node identity and session.
import { type AdsBackend, AdsServer, type AdsServerOptions, listen } from '../shared/ads-server.ts';
import { AGENTGATEWAY_BACKEND } from './agentgateway-backend.ts';
import { AgentgatewayDeltaSession } from './delta-session.ts';
import { gatewayOfNode, proxyOfNode } from './node-identity.ts';
import { type AgentgatewaySnapshot, EMPTY_RESOURCES, encodeSnapshot } from './snapshot.ts';
import type { AgentgatewayResources } from './translate-gateway.ts';

/** host:port to listen on (port 0 picks a free one) and the TLS for it (plaintext when absent). */
export type AgentgatewayXdsServerOptions = AdsServerOptions;

export const SOTW_NOT_SUPPORTED =
  'state-of-the-world ADS is not supported for agentgateway: use DeltaAggregatedResources';

const AGENTGATEWAY_ADS: AdsBackend<typeof AGENTGATEWAY_BACKEND, AgentgatewaySnapshot, AgentgatewayResources> =
  {
    backend: AGENTGATEWAY_BACKEND,
    gatewayOfNode,
    proxyOfNode,
    encodeSnapshot,
    emptyResources: EMPTY_RESOURCES,
    delta: (...args) => new AgentgatewayDeltaSession(...args),
    sotw: SOTW_NOT_SUPPORTED,
  };

export class AgentgatewayXdsServer extends AdsServer<
  typeof AGENTGATEWAY_BACKEND,
  AgentgatewaySnapshot,
  AgentgatewayResources
> {
  static async start(options: AgentgatewayXdsServerOptions): Promise<AgentgatewayXdsServer> {
    return new AgentgatewayXdsServer(await listen(options), AGENTGATEWAY_ADS);
  }
}
