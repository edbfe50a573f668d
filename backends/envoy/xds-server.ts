// The Envoy ADS server: gRPC AggregatedDiscoveryService (state-of-the-world and delta) holding one snapshot per
// Gateway. A proxy is matched to its Gateway by node cluster (node-identity.ts); a publish reaches only the
// proxies of that Gateway. The edge of the Envoy backend: the actor decides what to publish, this serves it
// and reports every proxy's ACKs and NACKs back as `envoy.proxy.*` messages. The server plumbing is shared
// (backends/shared/ads-server.ts); Envoy's part is the snapshot encoding, node identity and its two stream kinds.
import { type AdsBackend, AdsServer, type AdsServerOptions, listen } from '../shared/ads-server.ts';
import { DeltaSession } from './delta-stream.ts';
import { ENVOY_BACKEND } from './envoy-backend.ts';
import { gatewayOfNode } from './node-identity.ts';
import { SotwSession } from './sotw-stream.ts';
import type { EnvoyResources } from './translate-gateway.ts';
import { encodeSnapshot, type XdsSnapshot } from './xds-snapshot.ts';

/** host:port to listen on (port 0 picks a free one) and the TLS for it (plaintext when absent). */
export type XdsServerOptions = AdsServerOptions;

const EMPTY_RESOURCES: EnvoyResources = {
  listeners: {},
  routeConfigurations: {},
  clusters: {},
  clusterLoadAssignments: {},
  secrets: {},
  grpcListeners: {},
  problems: [],
};

const ENVOY_ADS: AdsBackend<typeof ENVOY_BACKEND, XdsSnapshot, EnvoyResources> = {
  backend: ENVOY_BACKEND,
  gatewayOfNode,
  // Envoy always sends a node id (--service-node; the pod name in the Deployments we provision).
  proxyOfNode: (node) => node?.id || undefined,
  encodeSnapshot,
  emptyResources: EMPTY_RESOURCES,
  delta: (...args) => new DeltaSession(...args),
  sotw: (...args) => new SotwSession(...args),
};

export class XdsServer extends AdsServer<typeof ENVOY_BACKEND, XdsSnapshot, EnvoyResources> {
  static async start(options: XdsServerOptions): Promise<XdsServer> {
    return new XdsServer(await listen(options), ENVOY_ADS);
  }
}
