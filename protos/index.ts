// Public surface of protos/: the Envoy API (from @grpc/grpc-js-xds, loaded once) and the ADS service.
export {
  type AggregatedDiscoveryService,
  aggregatedDiscoveryService,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type Node,
  type Resource,
  type Status,
} from './aggregated-discovery-service.ts';
export { type Any, EnvoyApi, envoyApi, typeUrlOf } from './envoy-api.ts';
export { RATELIMIT_CONFIG_TYPE_URL } from './ratelimit-config-api.ts';
export { type ResourceTypeUrl, TYPE_URL } from './type-urls.ts';
