import { describe, expect, it } from 'vitest';
import type { Draft } from '../../runtime/message.ts';
import type { ProxyReport } from './proxy-report.ts';
import { gatewayKey } from './testdata/gateway-ir.ts';
import { registerXdsMetrics } from './xds-metrics.ts';

describe('registerXdsMetrics', () => {
  it('exports connected proxies per Gateway and counts ACKed revisions and NACKs', async () => {
    let report: (r: Draft<ProxyReport>) => void = () => {};
    const registry = registerXdsMetrics({
      proxies: () => ({ 'default/gw': ['a', 'b'] }),
      onReport: (listener) => {
        report = listener;
        return () => {};
      },
    });
    report({ type: 'envoy.proxy.synced', gateway: gatewayKey(), proxy: 'a', revision: 1 });
    report({
      type: 'envoy.proxy.rejected',
      gateway: gatewayKey(),
      proxy: 'b',
      revision: 2,
      typeUrl: 'rds',
      detail: 'x',
    });
    const text = await registry.metrics();
    expect(text).toContain('switchyard_xds_connected_proxies{gateway="default/gw"} 2');
    expect(text).toContain('switchyard_xds_revisions_acked_total{gateway="default/gw"} 1');
    expect(text).toContain('switchyard_xds_rejections_total{gateway="default/gw",type_url="rds"} 1');
  });
});
