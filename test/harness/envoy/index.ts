// A real Envoy for tests: provisioned from PyPI, bootstrapped against an ADS server, with its admin API.
export { type BootstrapOptions, envoyBootstrap } from './bootstrap.ts';
export { Envoy, type EnvoyOptions, startEnvoy } from './envoy.ts';
export { type ClusterStatus, type ConfigDump, EnvoyAdmin } from './envoy-admin.ts';
export { freePort } from './free-port.ts';
