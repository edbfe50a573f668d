// A controller restart: Envoy loses its ADS stream, keeps serving, reconnects to the new server with the
// versions it holds (delta initial_resource_versions) and is brought to the current snapshot without
// reloading what it already has; the next change applies as usual.
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
import { answeredBy } from './http-client.ts';

describe('a reconnecting Envoy', () => {
  let before: EnvoyBackendFixture;
  let after: EnvoyBackendFixture | undefined;
  let envoy: Envoy;
  let a: EchoServer;
  let b: EchoServer;
  let gatewayPort: number;
  const gateway = gatewayKey('restart');
  const irTo = (backend: string, echo: EchoServer) =>
    gatewayIR(
      [
        port(gatewayPort, [
          listener('web', 'HTTP', [route('r', [rule([service(backend, [echo.port])])])], { gateway }),
        ]),
      ],
      gateway,
    );

  beforeAll(async () => {
    [a, b, gatewayPort] = await Promise.all([startHttpEcho('a'), startHttpEcho('b'), freePort()]);
    before = await EnvoyBackendFixture.start();
    const revision = await before.send(irTo('a', a));
    envoy = await before.startEnvoy(gateway, { nodeId: 'survivor', delta: true });
    await before.waitForSynced('survivor', revision);
  });

  afterAll(async () => {
    await envoy?.stop();
    await after?.stop();
    await before?.stopControlPlane();
    await Promise.all([a?.close(), b?.close()]);
  });

  const stat = async (name: string) =>
    (await envoy.admin.stats(`^${name.replace(/\./g, '\\.')}$`))[name] ?? 0;

  test('keeps serving without its control plane, resyncs on reconnect without reloading, then takes changes', async () => {
    const address = before.xds.address;
    await before.stopControlPlane();
    expect(await answeredBy(gatewayPort, '/', { host: 'any.example.com' })).toBe('a');
    const [listenersModified, clustersModified] = [
      await stat('listener_manager.listener_modified'),
      await stat('cluster_manager.cluster_modified'),
    ];

    after = await EnvoyBackendFixture.start(address);
    const same = await after.send(irTo('a', a));
    await after.waitForSynced('survivor', same);
    expect(await stat('listener_manager.listener_modified')).toBe(listenersModified);
    expect(await stat('cluster_manager.cluster_modified')).toBe(clustersModified);
    expect(await answeredBy(gatewayPort, '/', { host: 'any.example.com' })).toBe('a');

    await after.apply(irTo('b', b), ['survivor']);
    expect(await answeredBy(gatewayPort, '/', { host: 'any.example.com' })).toBe('b');
  });
});
