// What an ADS server tells its backend actor about one proxy of a Gateway: it reached a revision (every response
// ACKed, or NACKed per resource by a data plane that applies the rest), rejected one (a NACK with the proxy's
// error_detail), or went away. Each backend names the messages after
// itself (`envoy.proxy.synced`, `agentgateway.proxy.synced`, …); the fields are the same.
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Draft, Message } from '../../runtime/message.ts';

/**
 * One resource a proxy did not take as given although it applied the push: dropped ('error') or applied with a
 * warning, in the data plane's own words (agentgateway NACKs this way; see docs/agentgateway-backend.md).
 */
export interface ResourceRefusal {
  readonly typeUrl: string;
  /** The resource's xDS name. */
  readonly name: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export interface ProxySyncedOf<B extends string> extends Message<`${B}.proxy.synced`> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
  readonly revision: number;
  /** Resources of this revision the proxy dropped or warned about (it runs the rest). */
  readonly refusals?: readonly ResourceRefusal[];
}

export interface ProxyRejectedOf<B extends string> extends Message<`${B}.proxy.rejected`> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
  readonly revision: number;
  readonly typeUrl: string;
  readonly detail: string;
}

export interface ProxyDisconnectedOf<B extends string> extends Message<`${B}.proxy.disconnected`> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
}

/** A proxy opened a stream for a Gateway: it counts among the proxies to wait for from now on. */
export interface ProxyConnectedOf<B extends string> extends Message<`${B}.proxy.connected`> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
}

export type ProxyReportOf<B extends string> =
  | ProxySyncedOf<B>
  | ProxyRejectedOf<B>
  | ProxyDisconnectedOf<B>
  | ProxyConnectedOf<B>;

/** What a proxy's session (or its stream closing) has to report, before it is named after a backend. */
export type SessionReport =
  | {
      readonly kind: 'synced';
      readonly gateway: ResourceKey;
      readonly proxy: string;
      readonly revision: number;
      readonly refusals?: readonly ResourceRefusal[];
    }
  | {
      readonly kind: 'rejected';
      readonly gateway: ResourceKey;
      readonly proxy: string;
      readonly revision: number;
      readonly typeUrl: string;
      readonly detail: string;
    }
  | { readonly kind: 'disconnected'; readonly gateway: ResourceKey; readonly proxy: string }
  | { readonly kind: 'connected'; readonly gateway: ResourceKey; readonly proxy: string };

/** A session report as the backend's message: `<backend>.proxy.<kind>` with the same fields. */
export function proxyReport<B extends string>(backend: B, report: SessionReport): Draft<ProxyReportOf<B>> {
  const { kind, ...fields } = report;
  return { type: `${backend}.proxy.${kind}`, ...fields } as Draft<ProxyReportOf<B>>;
}
