import { describe, expect, it } from 'vitest';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import type { Draft } from '../../runtime/message.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { gatewayIR, listener, port } from '../envoy/testdata/gateway-ir.ts';
import { type BackendMessageOf, defineBackend, type XdsPortOf } from './backend-machine.ts';
import type { ProxyReportOf } from './proxy-report.ts';
import { settled, spawnStatusRecorder } from './testdata/status-recorder.ts';

/** A made-up data plane: its "translation" lists the IR's ports, or fails on a port numbered 0. */
interface FakeResources {
  readonly ports: readonly number[];
  readonly problems: readonly string[];
}

const fake = defineBackend<'fake', FakeResources, { readonly prefix: string }>({
  backend: 'fake',
  dataPlane: 'Fake Proxy',
  defaultOptions: { prefix: 'default' },
  translate: (ir, _tls, options) => {
    if (ir.ports.some((p) => p.port === 0)) throw new Error('port 0');
    return { ports: ir.ports.map((p) => p.port), problems: [`${options?.prefix}: ${ir.ports.length} ports`] };
  },
});

class FakeXds implements XdsPortOf<'fake', FakeResources> {
  readonly published: { revision: number; resources: FakeResources }[] = [];
  #listener: ((report: Draft<ProxyReportOf<'fake'>>) => void) | undefined;
  publish(_gateway: ResourceKey, revision: number, resources: FakeResources): void {
    this.published.push({ revision, resources });
  }
  withdraw(): void {}
  onReport(listener: (report: Draft<ProxyReportOf<'fake'>>) => void): () => void {
    this.#listener = listener;
    return () => {};
  }
  report(report: Draft<ProxyReportOf<'fake'>>): void {
    this.#listener?.(report);
  }
}

function start(translate?: { readonly prefix: string }) {
  const system = new ActorSystem({ clock: new VirtualClock() });
  const xds = new FakeXds();
  const statuses = spawnStatusRecorder(system, 'deployer', 64);
  const options = { deployer: 'deployer', xds, ...(translate ? { translate } : {}) };
  const spec = fake.spec(options);
  fake.spawn(system, options);
  system.start();
  const settle = (count: number) => settled(statuses, count);
  const change = (ir: GatewayIR, revision: number) =>
    system.send<BackendMessageOf<'fake'>>(spec.name, {
      type: 'backend.gateway.changed',
      gateway: ir.gateway,
      revision,
      ir,
      tls: {},
    });
  return { system, xds, statuses, settle, change, spec };
}

const ir = gatewayIR([port(80, [listener('web', 'HTTP', [])]), port(81, [listener('alt', 'HTTP', [])])]);

describe('the shared backend machine', () => {
  it('runs under the backend’s name with its translation and options', async () => {
    const { system, xds, settle, change, spec } = start({ prefix: 'given' });
    expect(spec.name).toBe('backend.fake');
    await change(ir, 1);
    expect(await settle(1)).toMatchObject({ backend: 'fake', translated: true, message: 'given: 2 ports' });
    expect(xds.published).toEqual([
      { revision: 1, resources: { ports: [80, 81], problems: ['given: 2 ports'] } },
    ]);
    await system.stop();
  });

  it('takes the default options and names the data plane when translation fails', async () => {
    const { system, settle, change } = start();
    await change(ir, 1);
    expect((await settle(1)).message).toBe('default: 2 ports');
    await change(gatewayIR([port(0, [])]), 2);
    expect(await settle(2)).toMatchObject({
      translated: false,
      message: 'translation to Fake Proxy failed: port 0',
    });
    await system.stop();
  });

  it('takes only the reports named after its backend', async () => {
    const { system, xds, statuses, settle, change } = start();
    await change(ir, 1);
    await settle(1);
    // Another backend's report of the same Gateway is not this backend's business.
    await system.send<ProxyReportOf<'envoy'>>('backend.fake', {
      type: 'envoy.proxy.synced',
      gateway: ir.gateway,
      proxy: 'e',
      revision: 1,
    });
    xds.report({ type: 'fake.proxy.synced', gateway: ir.gateway, proxy: 'p1', revision: 1 });
    expect((await settle(2)).proxies).toEqual([{ proxy: 'p1', ackedRevision: 1 }]);
    xds.report({ type: 'fake.proxy.disconnected', gateway: ir.gateway, proxy: 'p1' });
    expect((await settle(3)).proxies).toEqual([]);
    expect(statuses.map((s) => s.backend)).toEqual(['fake', 'fake', 'fake']);
    await system.stop();
  });
});
