// Live changes and rejections through a real Envoy, over delta and state-of-the-world ADS: route and endpoint
// changes apply while traffic flows without draining the listener, a rule Envoy refuses is dropped with Envoy's
// error text while the rest of its revision is served, and the next good revision clears it.
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
import { answeredBy, httpRequest } from './http-client.ts';
import { startTrafficLoop } from './traffic-loop.ts';

describe.each([
  { protocol: 'delta', delta: true },
  { protocol: 'state-of-the-world', delta: false },
])('xDS lifecycle with a real Envoy ($protocol)', ({ delta }) => {
  let fixture: EnvoyBackendFixture;
  let envoy: Envoy;
  let a: EchoServer;
  let b: EchoServer;
  let gatewayPort: number;
  const gateway = gatewayKey(delta ? 'live-delta' : 'live-sotw');
  const proxy = 'lifecycle';

  const irFor = (rules: Parameters<typeof route>[1]) =>
    gatewayIR([port(gatewayPort, [listener('web', 'HTTP', [route('app', rules)], { gateway })])], gateway);

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    [a, b] = await Promise.all([startHttpEcho('a'), startHttpEcho('b')]);
    gatewayPort = await freePort();
    const revision = await fixture.send(irFor([rule([service('a', [a.port])])]));
    envoy = await fixture.startEnvoy(gateway, { nodeId: proxy, delta });
    await fixture.waitForSynced(proxy, revision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all([a?.close(), b?.close()]);
  });

  const stat = async (name: string) =>
    (await envoy.admin.stats(`^${name.replace(/\./g, '\\.')}$`))[name] ?? 0;

  test('a route change while traffic flows applies without dropping a request or draining the listener', async () => {
    const modifiedBefore = await stat('listener_manager.listener_modified');
    const loop = startTrafficLoop(gatewayPort, '/', { host: 'app.example.com' });
    await loop.answered(20);
    await fixture.apply(irFor([rule([service('b', [b.port])])]), [proxy]);
    const during = await loop.stop();
    expect(during.filter((x) => x !== 'a' && x !== 'b')).toEqual([]);
    expect(await answeredBy(gatewayPort, '/', { host: 'app.example.com' })).toBe('b');
    expect(await stat('listener_manager.listener_modified')).toBe(modifiedBefore);
    expect(await stat('listener_manager.total_listeners_draining')).toBe(0);
  });

  test('answers are never dropped across the change (make-before-break to a new cluster)', async () => {
    const loop = startTrafficLoop(gatewayPort, '/', { host: 'app.example.com' });
    await loop.answered(20);
    await fixture.apply(irFor([rule([service('a', [a.port])])]), [proxy]);
    await fixture.apply(irFor([rule([service('b2', [b.port])])]), [proxy]);
    const answers = await loop.stop();
    expect(answers.filter((x) => x !== 'a' && x !== 'b')).toEqual([]);
    expect(await answeredBy(gatewayPort, '/', { host: 'app.example.com' })).toBe('b');
  });

  test('adding and deleting a route and moving endpoints while traffic flows drops no request', async () => {
    const base = rule([service('steady', [a.port])]);
    await fixture.apply(irFor([base]), [proxy]);
    const loop = startTrafficLoop(gatewayPort, '/', { host: 'app.example.com' });
    await loop.answered(10);
    const added = rule([service('b', [b.port])], {
      matches: [{ path: { type: 'PathPrefix', value: '/added' } }],
      filters: [
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: { set: [{ name: 'x-route', value: 'added' }] },
        },
      ],
    });
    const viaAdded = async () =>
      (await httpRequest(gatewayPort, '/added/x', { host: 'app.example.com' })).seen?.headers['x-route'];
    await fixture.apply(irFor([base, added]), [proxy]);
    expect(await viaAdded()).toBe('added');
    // The route goes away while the steady route's endpoints grow to both backends, then move to b.
    await fixture.apply(irFor([rule([service('steady', [a.port, b.port])])]), [proxy]);
    expect(await viaAdded()).toBeUndefined();
    await fixture.apply(irFor([rule([service('steady', [b.port])])]), [proxy]);
    // Envoy applies an ACKed endpoint update on its workers a moment later: a request already in flight may
    // still reach a. Wait (bounded) until new requests reach b, with the loop still running.
    let latest: string | undefined;
    for (let attempt = 0; attempt < 100 && latest !== 'b'; attempt++) {
      latest = await answeredBy(gatewayPort, '/', { host: 'app.example.com' });
      if (latest !== 'b') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const answers = await loop.stop();
    expect(answers.filter((x) => x !== 'a' && x !== 'b')).toEqual([]);
    expect(latest).toBe('b');
    expect(answers).toContain('b');
  });

  test('an endpoint change moves traffic without modifying the cluster', async () => {
    await fixture.apply(irFor([rule([service('moving', [a.port])])]), [proxy]);
    expect(await answeredBy(gatewayPort, '/', { host: 'app.example.com' })).toBe('a');
    const clustersModified = await stat('cluster_manager.cluster_modified');
    await fixture.apply(irFor([rule([service('moving', [b.port])])]), [proxy]);
    expect(await answeredBy(gatewayPort, '/', { host: 'app.example.com' })).toBe('b');
    expect(await stat('cluster_manager.cluster_modified')).toBe(clustersModified);
  });

  test('a rule Envoy refuses is dropped with its text while Envoy serves the rest of the revision', async () => {
    const good = irFor([
      rule([service('a', [a.port])], { matches: [{ path: { type: 'PathPrefix', value: '/' } }] }),
    ]);
    await fixture.apply(good, [proxy]);
    const badRevision = await fixture.send(
      irFor([
        rule([service('b', [b.port])], {
          matches: [{ path: { type: 'RegularExpression', value: '/(unclosed' } }],
        }),
        rule([service('b', [b.port])]),
      ]),
    );
    // The backend finds the refused rule by pushing parts of the revision (test/envoy/refusal-search.test.ts).
    const served = await fixture.waitForStatus(
      (s) =>
        s.revision === badRevision &&
        s.searching === undefined &&
        s.proxies.some((p) => p.proxy === proxy && p.ackedRevision === badRevision),
      `proxy ${proxy} runs revision ${badRevision} without its refused rule`,
    );
    expect(served.proxies.find((p) => p.proxy === proxy)).toEqual({ proxy, ackedRevision: badRevision });
    expect(served.refusals?.map((r) => [r.route?.name, r.rule, r.severity])).toEqual([['app', 0, 'dropped']]);
    expect(served.refusals?.[0]?.message).toMatch(/regex|missing \)/i);
    expect(served.translated).toBe(true);
    // Envoy routes with the rest of the revision: the second rule.
    expect(await answeredBy(gatewayPort, '/', { host: 'app.example.com' })).toBe('b');

    const fixed = await fixture.apply(irFor([rule([service('a', [a.port])])]), [proxy]);
    expect(fixed.proxies.find((p) => p.proxy === proxy)).toEqual({ proxy, ackedRevision: fixed.revision });
    expect(fixed.refusals).toBeUndefined();
    expect(await answeredBy(gatewayPort, '/', { host: 'app.example.com' })).toBe('a');
  });

  test('a proxy that goes away leaves the status', async () => {
    await envoy.stop();
    const status = await fixture.waitForStatus(
      (s) => s.gateway.name === gateway.name && s.proxies.length === 0,
      'the stopped proxy leaves the status',
    );
    expect(status.proxies).toEqual([]);
  });
});
