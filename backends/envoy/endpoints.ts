// ClusterLoadAssignments: the ready endpoints the IR resolved for a backend, one locality.

import type { ClusterUse } from './cluster-use.ts';
import { backendLoadAssignment } from './envoy-gateway-backends.ts';
import type { Json } from './envoy-types.ts';
import { poolLbEndpoint } from './inference.ts';

export function translateEndpoints(use: ClusterUse): Json {
  if (use.backend.kind === 'Backend') return backendLoadAssignment(use.name, use.backend);
  // InferencePool endpoints carry their address as metadata too (see inference.ts).
  const pool = use.backend.kind === 'InferencePool';
  const endpoints = use.backend.endpoints ?? [];
  return {
    clusterName: use.name,
    endpoints:
      endpoints.length === 0
        ? []
        : [
            {
              // Proxyless gRPC clients need a locality, and ignore one without a weight.
              locality: {},
              loadBalancingWeight: 1,
              lbEndpoints: endpoints.map((endpoint, i) =>
                pool
                  ? poolLbEndpoint(endpoint)
                  : {
                      endpoint: {
                        address: { socketAddress: { address: endpoint.address, portValue: endpoint.port } },
                      },
                      ...(use.endpointWeights === undefined
                        ? {}
                        : { loadBalancingWeight: use.endpointWeights[i] }),
                    },
              ),
            },
          ],
  };
}
