// What the ADS server tells the Envoy backend actor about one proxy of a Gateway: it reached a revision (every
// response ACKed), rejected one (a NACK with Envoy's error_detail), or went away. The shapes are shared by every
// backend (backends/shared/proxy-report.ts); Envoy's carry the `envoy.` prefix.
import type { ProxyReportOf } from '../shared/proxy-report.ts';

export type ProxyReport = ProxyReportOf<'envoy'>;
export type ProxySynced = Extract<ProxyReport, { type: 'envoy.proxy.synced' }>;
export type ProxyRejected = Extract<ProxyReport, { type: 'envoy.proxy.rejected' }>;
export type ProxyDisconnected = Extract<ProxyReport, { type: 'envoy.proxy.disconnected' }>;
