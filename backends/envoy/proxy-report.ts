// What the ADS server tells the backend actor about one proxy of a Gateway: it reached a revision (every
// response ACKed), rejected one (a NACK with Envoy's error_detail), or went away.
import type { ResourceKey } from '../../model/resource-key.ts';
import type { Message } from '../../runtime/message.ts';

export interface ProxySynced extends Message<'envoy.proxy.synced'> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
  readonly revision: number;
}

export interface ProxyRejected extends Message<'envoy.proxy.rejected'> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
  readonly revision: number;
  readonly typeUrl: string;
  readonly detail: string;
}

export interface ProxyDisconnected extends Message<'envoy.proxy.disconnected'> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
}

export type ProxyReport = ProxySynced | ProxyRejected | ProxyDisconnected;
