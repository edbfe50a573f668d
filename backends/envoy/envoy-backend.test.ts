import { describe, expect, it } from 'vitest';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import type { Draft } from '../../runtime/message.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { settled, spawnStatusRecorder } from '../shared/testdata/status-recorder.ts';
import { type EnvoyBackendMessage, spawnEnvoyBackend, type XdsPort } from './envoy-backend.ts';
import type { ProxyReport } from './proxy-report.ts';
import { gatewayIR, listener, port, route, rule, secretKey, service } from './testdata/gateway-ir.ts';
import type { EnvoyResources } from './translate-gateway.ts';

/** The ADS server's part, recorded; `report` plays a proxy's ACK, NACK or disconnect. */
class FakeXds implements XdsPort {
  failWith: string | undefined;
  readonly published: { gateway: ResourceKey; revision: number; resources: EnvoyResources }[] = [];
  readonly withdrawn: ResourceKey[] = [];
  #listener: ((report: Draft<ProxyReport>) => void) | undefined;
  publish(gateway: ResourceKey, revision: number, resources: EnvoyResources): void {
    if (this.failWith !== undefined) throw new Error(this.failWith);
    this.published.push({ gateway, revision, resources });
  }
  withdraw(gateway: ResourceKey): void {
    this.withdrawn.push(gateway);
  }
  onReport(listener: (report: Draft<ProxyReport>) => void): () => void {
    this.#listener = listener;
    return () => {};
  }
  report(report: Draft<ProxyReport>): void {
    this.#listener?.(report);
  }
}

async function startBackend() {
  const clock = new VirtualClock();
  const system = new ActorSystem({ clock });
  const xds = new FakeXds();
  const statuses = spawnStatusRecorder(system, 'deployer', 64);
  spawnEnvoyBackend(system, { name: 'envoy', deployer: 'deployer', xds });
  system.start();
  const settle = (count: number) => settled(statuses, count);
  const change = (ir: GatewayIR, revision: number, tls = {}) =>
    system.send<EnvoyBackendMessage>('envoy', {
      type: 'backend.gateway.changed',
      gateway: ir.gateway,
      revision,
      ir,
      tls,
    });
  return { system, xds, statuses, settle, change };
}

const ir = gatewayIR([port(80, [listener('web', 'HTTP', [route('r', [rule([service('a', [9000])])])])])]);

describe('the Envoy backend actor', () => {
  it('translates a changed Gateway, publishes it and reports it translated', async () => {
    const { system, xds, settle, change } = await startBackend();
    await change(ir, 1);
    const status = await settle(1);
    expect(status).toMatchObject({
      backend: 'envoy',
      gateway: ir.gateway,
      revision: 1,
      translated: true,
      proxies: [],
    });
    expect(status.message).toBeUndefined();
    expect(xds.published.map((p) => [p.revision, Object.keys(p.resources.listeners)])).toEqual([
      [1, ['tcp/80']],
    ]);
    await system.stop();
  });

  it('names what could not be programmed in the status message', async () => {
    const { system, settle, change } = await startBackend();
    const tlsIr = gatewayIR([
      port(443, [
        listener('s', 'HTTPS', [], { tls: { mode: 'Terminate', certificates: [secretKey('missing')] } }),
      ]),
    ]);
    await change(tlsIr, 1);
    const status = await settle(1);
    expect(status.translated).toBe(true);
    expect(status.message).toContain('no TLS material for core/Secret/default/missing');
    await system.stop();
  });

  it('reports an IR it cannot translate as not translated, and publishes nothing', async () => {
    const { system, xds, settle, change } = await startBackend();
    await change(
      { ...ir, ports: [{ port: 80, transport: 'TCP', listeners: null }] } as unknown as GatewayIR,
      1,
    );
    const status = await settle(1);
    expect(status.translated).toBe(false);
    expect(status.message).toMatch(/^translation to Envoy failed: /);
    expect(xds.published).toEqual([]);
    await system.stop();
  });

  it('reports a revision the ADS server could not take as not programmed', async () => {
    const { system, xds, settle, change } = await startBackend();
    xds.failWith = 'unknown field: "bogus"';
    await change(ir, 1);
    const status = await settle(2);
    expect(status).toMatchObject({
      revision: 1,
      translated: false,
      message: 'publishing to Envoy failed: unknown field: "bogus"',
    });
    await system.stop();
  });

  it('tracks each proxy: ACKed revision, gone on disconnect; a NACK starts a search that drops the refused rule', async () => {
    const { system, xds, settle, change } = await startBackend();
    const routesOf = (wire: number) =>
      Object.values(xds.published.find((p) => p.revision === wire)!.resources.routeConfigurations).flatMap(
        (r) => (r as { virtualHosts?: { routes: unknown[] }[] }).virtualHosts?.flatMap((v) => v.routes) ?? [],
      ).length;
    let seen = 0;
    const next = () => settle(++seen);
    const report = (wire: number, detail?: string) =>
      xds.report(
        detail === undefined
          ? { type: 'envoy.proxy.synced', gateway: ir.gateway, proxy: 'p1', revision: wire }
          : {
              type: 'envoy.proxy.rejected',
              gateway: ir.gateway,
              proxy: 'p1',
              revision: wire,
              typeUrl: 'rds',
              detail,
            },
      );
    await change(ir, 1);
    await next();
    report(1);
    expect((await next()).proxies).toEqual([{ proxy: 'p1', ackedRevision: 1 }]);
    await change(ir, 2);
    await next();
    report(2, 'bad regex');
    // The listener alone first (wire 3), then with the rule (wire 4), refused again: the rule is dropped (wire 5).
    const searching = await next();
    expect(searching.searching).toMatch(/^The proxies refused revision 2 \(envoy proxy p1: bad regex\)/);
    expect(searching.proxies).toEqual([{ proxy: 'p1', ackedRevision: 1 }]);
    expect(routesOf(3)).toBe(0);
    report(3);
    expect((await next()).searching).toBeDefined();
    expect(routesOf(4)).toBe(1);
    report(4, 'bad regex');
    const found = await next();
    expect(found.searching).toBeUndefined();
    expect(found.refusals).toEqual([
      {
        route: ir.ports[0]!.listeners[0]!.routes[0]!.route,
        rule: 0,
        severity: 'dropped',
        message: 'envoy proxy p1: bad regex',
      },
    ]);
    expect(routesOf(5)).toBe(0);
    report(5);
    expect((await next()).proxies).toEqual([{ proxy: 'p1', ackedRevision: 2 }]);
    // Unchanged, the rule stays out of the next revision: nothing is refused again.
    await change(ir, 3);
    await next();
    expect(routesOf(6)).toBe(0);
    report(6);
    const third = await next();
    expect([third.proxies, third.refusals?.length]).toEqual([[{ proxy: 'p1', ackedRevision: 3 }], 1]);
    xds.report({ type: 'envoy.proxy.disconnected', gateway: ir.gateway, proxy: 'p1' });
    expect((await next()).proxies).toEqual([]);
    expect(xds.published.map((p) => p.revision)).toEqual([1, 2, 3, 4, 5, 6]);
    await system.stop();
  });

  it('withdraws a deleted Gateway and ignores its proxies afterwards', async () => {
    const { system, xds, statuses, settle, change } = await startBackend();
    await change(ir, 1);
    await settle(1);
    await system.send<EnvoyBackendMessage>('envoy', { type: 'backend.gateway.deleted', gateway: ir.gateway });
    xds.report({ type: 'envoy.proxy.synced', gateway: ir.gateway, proxy: 'p1', revision: 1 });
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(xds.withdrawn).toEqual([ir.gateway]);
    expect(statuses).toHaveLength(1);
    await system.stop();
  });
});
