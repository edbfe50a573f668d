// What every ADS stream of a test server shares: its number, the resources, the log and the nonce source.
import type { ExchangeLog } from './exchange-log.ts';
import type { ResourceStore } from './resource-store.ts';

export interface StreamContext {
  stream: number;
  store: ResourceStore;
  log: ExchangeLog;
  nextNonce: () => string;
}
