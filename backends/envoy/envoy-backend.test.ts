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

  it('tracks each proxy: ACKed revision, a NACK with Envoy’s text, cleared by a later ACK, gone on disconnect', async () => {
    const { system, xds, settle, change } = await startBackend();
    await change(ir, 1);
    await settle(1);
    xds.report({ type: 'envoy.proxy.synced', gateway: ir.gateway, proxy: 'p1', revision: 1 });
    expect((await settle(2)).proxies).toEqual([{ proxy: 'p1', ackedRevision: 1 }]);
    await change(ir, 2);
    await settle(3);
    xds.report({
      type: 'envoy.proxy.rejected',
      gateway: ir.gateway,
      proxy: 'p1',
      revision: 2,
      typeUrl: 'rds',
      detail: 'bad regex',
    });
    const rejected = await settle(4);
    expect(rejected.proxies).toEqual([{ proxy: 'p1', ackedRevision: 1, rejection: 'bad regex' }]);
    // Repeating what is already known changes nothing and sends nothing.
    xds.report({ type: 'envoy.proxy.synced', gateway: ir.gateway, proxy: 'p1', revision: 1 });
    await change(ir, 3);
    await settle(5);
    xds.report({ type: 'envoy.proxy.synced', gateway: ir.gateway, proxy: 'p1', revision: 3 });
    expect((await settle(6)).proxies).toEqual([{ proxy: 'p1', ackedRevision: 3 }]);
    xds.report({ type: 'envoy.proxy.disconnected', gateway: ir.gateway, proxy: 'p1' });
    expect((await settle(7)).proxies).toEqual([]);
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
