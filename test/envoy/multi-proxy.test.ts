// Several proxies and Gateways on one ADS server: every proxy of a Gateway ACKs its revision and shows in
// the status; a change reaches only the proxies of the Gateway that changed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  gatewayIR,
  gatewayKey,
  listener,
  port,
  route,
  rule,
  service,
} from '../../backends/envoy/testdata/gateway-ir.ts';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { type Envoy, freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';

describe('several proxies and Gateways', () => {
  let fixture: EnvoyBackendFixture;
  let echo: EchoServer;
  let other: Envoy;
  const shop = gatewayKey('shop');
  const blog = gatewayKey('blog');
  const ports: Record<string, number> = {};
  const irFor = (gateway: typeof shop, backend: string) =>
    gatewayIR(
      [
        port(ports[gateway.name]!, [
          listener('web', 'HTTP', [route('r', [rule([service(backend, [echo.port])])])], { gateway }),
        ]),
      ],
      gateway,
    );

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    echo = await startHttpEcho('echo');
    [ports.shop, ports.blog] = await Promise.all([freePort(), freePort()]);
    const [shopRevision, blogRevision] = [
      await fixture.send(irFor(shop, 'a')),
      await fixture.send(irFor(blog, 'a')),
    ];
    await Promise.all([
      fixture.startEnvoy(shop, { nodeId: 'shop-1' }),
      fixture.startEnvoy(shop, { nodeId: 'shop-2', delta: false }),
    ]);
    other = await fixture.startEnvoy(blog, { nodeId: 'blog-1' });
    await fixture.waitForSynced(['shop-1', 'shop-2'], shopRevision);
    await fixture.waitForSynced('blog-1', blogRevision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await echo?.close();
  });

  test('a change to one Gateway is ACKed by each of its proxies and never reaches the other Gateway’s', async () => {
    const updates = async () =>
      Object.values(
        await other.admin.stats('^(cluster_manager\\.cds|listener_manager\\.lds)\\.update_attempt$'),
      ).reduce((sum, n) => sum + n, 0);
    const before = await updates();
    expect(before).toBeGreaterThan(0); // the counters exist: Envoy counted its initial updates
    const status = await fixture.apply(irFor(shop, 'b'), ['shop-1', 'shop-2']);
    expect(status.gateway).toEqual(shop);
    expect(status.proxies).toEqual([
      { proxy: 'shop-1', ackedRevision: status.revision },
      { proxy: 'shop-2', ackedRevision: status.revision },
    ]);
    expect(await updates()).toBe(before);
    expect(fixture.xds.proxies()).toEqual({
      'default/shop': ['shop-1', 'shop-2'],
      'default/blog': ['blog-1'],
    });
  });
});
