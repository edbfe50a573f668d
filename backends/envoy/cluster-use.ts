// What a cluster is made of: one resolved backend of the IR, the HTTP version it is spoken to with, and, for a
// blend of several backends, each endpoint's weight. Clusters (clusters.ts), their endpoints (endpoints.ts) and
// InferencePool clusters (inference.ts) all read it.

import type { BackendIR } from '../../model/ir/gateway-ir.ts';
import type { ClusterTrafficIR } from '../../model/ir/traffic-policies.ts';
import type { UpstreamHttp1 } from './client-traffic.ts';

export type ResolvedBackendIR = Exclude<BackendIR, { kind: 'Invalid' }>;

export interface ClusterUse {
  readonly name: string;
  readonly backend: ResolvedBackendIR;
  readonly http2: boolean;
  /** A blend of several backends (see `blend`): the load-balancing weight of each of `backend.endpoints`. */
  readonly endpointWeights?: readonly number[];
  /** The cluster settings of the BackendTrafficPolicy of the rules that use it (cluster-traffic.ts). */
  readonly traffic?: ClusterTrafficIR;
  /** The HTTP/1 settings of the ClientTrafficPolicy of the listener whose routes use it (client-traffic.ts). */
  readonly http1?: UpstreamHttp1;
}
