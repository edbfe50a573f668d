// Prometheus metrics of the ADS server: proxies connected per Gateway, and revisions ACKed and NACKed, so a
// rejected configuration is visible in metrics as well as in the Gateway's status.
import { Counter, Gauge, Registry } from 'prom-client';
import { nodeClusterOf } from './node-identity.ts';
import type { XdsServer } from './xds-server.ts';

export function registerXdsMetrics(
  xds: Pick<XdsServer, 'proxies' | 'onReport'>,
  registry: Registry = new Registry(),
): Registry {
  new Gauge({
    name: 'switchyard_xds_connected_proxies',
    help: 'ADS streams open, per Gateway (namespace/name).',
    labelNames: ['gateway'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [gateway, proxies] of Object.entries(xds.proxies())) this.set({ gateway }, proxies.length);
    },
  });
  const synced = new Counter({
    name: 'switchyard_xds_revisions_acked_total',
    help: 'Revisions a proxy ACKed in full.',
    labelNames: ['gateway'] as const,
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'switchyard_xds_rejections_total',
    help: 'Responses a proxy rejected (NACK), per Gateway and resource type.',
    labelNames: ['gateway', 'type_url'] as const,
    registers: [registry],
  });
  xds.onReport((report) => {
    const gateway = nodeClusterOf(report.gateway);
    if (report.type === 'envoy.proxy.synced') synced.inc({ gateway });
    else if (report.type === 'envoy.proxy.rejected') rejected.inc({ gateway, type_url: report.typeUrl });
  });
  return registry;
}
