// Test xDS harness: a minimal ADS server and the independent xDS client (@grpc/grpc-js-xds) wired to it.
export { type AdsServer, startAdsServer } from './ads-server.ts';
export { type ExchangeKind, ExchangeLog, type WaitOptions, type XdsExchange } from './exchange-log.ts';
export { xdsChannelOptions, xdsClientBootstrap } from './xds-client.ts';
