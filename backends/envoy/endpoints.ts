// ClusterLoadAssignments: the ready endpoints the IR resolved for a backend, one locality.

import type { ClusterUse } from './clusters.ts';
import type { Json } from './envoy-types.ts';

export function translateEndpoints(use: ClusterUse): Json {
  // InferencePools carry a selector, not endpoints, in the IR: their load assignment stays empty.
  const endpoints = use.backend.kind === 'Service' ? use.backend.endpoints : [];
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
              lbEndpoints: endpoints.map((endpoint) => ({
                endpoint: {
                  address: { socketAddress: { address: endpoint.address, portValue: endpoint.port } },
                },
              })),
            },
          ],
  };
}
