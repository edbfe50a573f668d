// Every resource a translation produced, encoded with the Envoy API protos as the ADS server sends it: throws
// naming the field when one would not encode.
import { envoyApi } from '../../../protos/envoy-api.ts';
import type { EnvoyResources } from '../translate-gateway.ts';

export function encodeAll(resources: EnvoyResources): void {
  const api = envoyApi();
  for (const cluster of Object.values(resources.clusters))
    api.encode('envoy.config.cluster.v3.Cluster', cluster);
  for (const listener of Object.values(resources.listeners))
    api.encode('envoy.config.listener.v3.Listener', listener);
  for (const config of Object.values(resources.routeConfigurations))
    api.encode('envoy.config.route.v3.RouteConfiguration', config);
}
