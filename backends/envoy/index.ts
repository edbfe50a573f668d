// Public surface of the Envoy backend: the actor (spawn it with an ADS server), the ADS server, the
// translation (for `switchyard translate --show xds`) and the bootstrap (for `switchyard envoy-bootstrap`).
export { adsBootstrap, type EnvoyBootstrapOptions, envoyBootstrap } from './bootstrap.ts';
export {
  ENVOY_BACKEND,
  type EnvoyBackendMessage,
  type EnvoyBackendOptions,
  envoyBackendMachine,
  envoyBackendSpec,
  spawnEnvoyBackend,
  type XdsPort,
} from './envoy-backend.ts';
export type { RateLimitServiceOptions } from './filters/index.ts';
export { gatewayOfNode, nodeClusterOf, RATE_LIMIT_NODE_PREFIX } from './node-identity.ts';
export type { ProxyDisconnected, ProxyRejected, ProxyReport, ProxySynced } from './proxy-report.ts';
export { RateLimitServiceFeed } from './ratelimit-service.ts';
export { type EnvoyResources, type TranslateOptions, translateGateway } from './translate-gateway.ts';
export { registerXdsMetrics } from './xds-metrics.ts';
export { XdsServer, type XdsServerOptions } from './xds-server.ts';
