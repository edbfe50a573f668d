import { describe, expect, it } from 'vitest';
import type { ProvisionedObjectRef } from '../../model/provisioning/data-plane-sweep.ts';
import type { ProvisionedObject } from '../../model/provisioning/provisioning.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { PROVISIONER, provisionerSpec } from './index.ts';
import { SWEEP_ATTEMPTS } from './machine.ts';
import type { ApplyDataPlane, DeleteDataPlane, ProvisionerMessage } from './messages.ts';

const gateway = resourceKey('gateway.networking.k8s.io', 'Gateway', 'apps', 'edge');

function object(kind: ProvisionedObject['kind'], replicas = 1): ProvisionedObject {
  return {
    apiVersion: 'v1',
    kind,
    metadata: { name: 'switchyard-edge', namespace: 'apps', labels: {}, ownerReferences: [] },
    spec: { replicas },
  };
}

function start(failFirst = 0, realClock = false) {
  const calls: (ApplyDataPlane | DeleteDataPlane)[] = [];
  let failures = failFirst;
  const clock = new VirtualClock();
  const system = new ActorSystem(realClock ? {} : { clock });
  system.spawn(
    provisionerSpec(
      {
        'apply-data-plane': async (request) => {
          calls.push(request);
          if (failures-- > 0) throw new Error('the API server is unavailable');
          return { applied: request.objects.length };
        },
        'delete-data-plane': async (request) => {
          calls.push(request);
          return { deleted: 4 };
        },
      },
      { retry: { initialDelayMs: 5, maxDelayMs: 20 } },
    ),
  );
  system.start();
  return { system, clock, calls };
}

describe('provisioner', () => {
  it('applies a Gateway’s objects once, again only when they change, and deletes them by derived name', async () => {
    const { system, clock, calls } = start();
    await system.send<ProvisionerMessage>(PROVISIONER, {
      type: 'data-plane.desired',
      gateway,
      objects: [object('Service')],
    });
    await runUntilQuiescent(system, clock);
    await system.send<ProvisionerMessage>(PROVISIONER, {
      type: 'data-plane.desired',
      gateway,
      objects: [object('Service')],
    });
    await runUntilQuiescent(system, clock);
    expect(calls).toHaveLength(1);
    await system.send<ProvisionerMessage>(PROVISIONER, {
      type: 'data-plane.desired',
      gateway,
      objects: [object('Service', 2)],
    });
    await runUntilQuiescent(system, clock);
    expect(calls).toHaveLength(2);
    await system.send<ProvisionerMessage>(PROVISIONER, { type: 'data-plane.unwanted', gateway });
    await runUntilQuiescent(system, clock);
    expect(calls[2]).toEqual({ gateway, namespace: 'apps', name: 'switchyard-edge' });
    // After a deletion the same objects are applied again.
    await system.send<ProvisionerMessage>(PROVISIONER, {
      type: 'data-plane.desired',
      gateway,
      objects: [object('Service', 2)],
    });
    await runUntilQuiescent(system, clock);
    expect(calls).toHaveLength(4);
    await system.stop();
  });

  it('retries a failed apply with backoff until it succeeds', async () => {
    // A backoff keeps the actor busy, which a virtual clock never advances past: real (short) timers here.
    const { system, calls } = start(2, true);
    await system.send<ProvisionerMessage>(PROVISIONER, {
      type: 'data-plane.desired',
      gateway,
      objects: [object('Deployment')],
    });
    await expect.poll(() => calls.length, { timeout: 5_000 }).toBe(3);
    await expect.poll(() => system.idle, { timeout: 5_000 }).toBe(true);
    await system.send<ProvisionerMessage>(PROVISIONER, {
      type: 'data-plane.desired',
      gateway,
      objects: [object('Deployment')],
    });
    await expect.poll(() => system.idle, { timeout: 5_000 }).toBe(true);
    expect(calls).toHaveLength(3);
    await system.stop();
  });
});

describe('provisioner start-up sweep', () => {
  const ours = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name: 'sy' },
    spec: { controllerName: 'c' },
  };
  const theirs = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name: 'other' },
    spec: { controllerName: 'example.com/other' },
  };
  const gatewayObject = (name: string, className: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'apps', uid: `uid-${name}` },
    spec: {
      gatewayClassName: className,
      listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }],
      ...extra,
    },
  });
  /** A listed object provisioned by `by` (null: before the controller annotation existed). */
  const listed = (
    kind: ProvisionedObject['kind'],
    gatewayName: string,
    by: string | null = 'c',
    name = `switchyard-${gatewayName}`,
  ): ProvisionedObjectRef => ({
    kind,
    namespace: 'apps',
    name,
    uid: `${kind}-${name}`,
    gateway: gatewayName,
    ...(by === null ? {} : { controllerName: by }),
  });

  function startSweep(
    store: ResourceStore,
    list: () => Promise<unknown>,
    onDelete: (object: ProvisionedObjectRef) => void = () => {},
    realClock = false,
  ) {
    const attempted: ProvisionedObjectRef[] = [];
    const deleted: ProvisionedObjectRef[] = [];
    const applied: ApplyDataPlane[] = [];
    const clock = new VirtualClock();
    const system = new ActorSystem(realClock ? {} : { clock });
    system.spawn(
      provisionerSpec(
        {
          'apply-data-plane': async (request) => {
            applied.push(request);
            return { applied: request.objects.length };
          },
          'delete-data-plane': async () => ({ deleted: 0 }),
          'list-provisioned-objects': list,
          'delete-provisioned-object': async (object) => {
            attempted.push(object);
            onDelete(object);
            deleted.push(object);
            return { deleted: true };
          },
        },
        { retry: { initialDelayMs: 5, maxDelayMs: 20 }, sweep: { view: store, controllerName: 'c' } },
      ),
    );
    system.start();
    return { system, clock, deleted, applied, attempted };
  }

  it('deletes our objects of absent, foreign and unaccepted Gateways, Service first, before any other write', async () => {
    const store = new ResourceStore([
      ours,
      theirs,
      gatewayObject('live', 'sy'),
      gatewayObject('foreign', 'other'),
      gatewayObject('refused', 'sy', { addresses: [{ type: 'IPAddress', value: '10.0.0.1' }] }),
    ] as never);
    const { system, clock, deleted, applied } = startSweep(store, async () => [
      listed('ServiceAccount', 'gone'),
      listed('Service', 'gone'),
      listed('Deployment', 'gone'),
      listed('ConfigMap', 'gone'),
      listed('Service', 'live'),
      listed('Deployment', 'live'),
      listed('Service', 'foreign'),
      listed('ConfigMap', 'refused'),
      // Named for no Gateway it is owned by: not made by us for it.
      listed('Service', 'gone', 'c', 'switchyard-something-else'),
      // Another controller's: it decides, even for an absent Gateway.
      listed('Service', 'vanished', 'example.com/other'),
      listed('Service', 'foreign', 'example.com/other'),
      // Provisioned before the annotation existed: only an absent Gateway's go.
      listed('Deployment', 'old', null),
      listed('Deployment', 'foreign', null),
      listed('Deployment', 'refused', null),
    ]);
    await system.send<ProvisionerMessage>(PROVISIONER, {
      type: 'data-plane.desired',
      gateway: resourceKey('gateway.networking.k8s.io', 'Gateway', 'apps', 'live'),
      objects: [object('Service')],
    });
    await runUntilQuiescent(system, clock);
    expect(deleted.map((o) => `${o.gateway}/${o.kind}`)).toEqual([
      'foreign/Service',
      'gone/Service',
      'gone/Deployment',
      'gone/ConfigMap',
      'gone/ServiceAccount',
      'old/Deployment',
      'refused/ConfigMap',
    ]);
    expect(applied).toHaveLength(1);
    await system.stop();
  });

  it('keeps the objects of a Gateway that became ours while the sweep ran', async () => {
    const store = new ResourceStore([ours] as never);
    const { system, clock, deleted } = startSweep(
      store,
      async () => [listed('Service', 'a'), listed('Service', 'b'), listed('Deployment', 'b')],
      () => store.upsert(gatewayObject('b', 'sy') as never),
    );
    await runUntilQuiescent(system, clock);
    expect(deleted.map((o) => `${o.gateway}/${o.kind}`)).toEqual(['a/Service']);
    await system.stop();
  });

  it('deletes nothing when the listing was skipped (never the leader)', async () => {
    const { system, clock, deleted, applied } = startSweep(new ResourceStore([] as never), async () => ({
      skipped: 'not the leader',
    }));
    await system.send<ProvisionerMessage>(PROVISIONER, {
      type: 'data-plane.desired',
      gateway,
      objects: [object('Service')],
    });
    await runUntilQuiescent(system, clock);
    expect(deleted).toEqual([]);
    expect(applied).toHaveLength(1);
    await system.stop();
  });

  it('retries a failed listing with backoff', async () => {
    // A backoff keeps the actor busy, which a virtual clock never advances past: real (short) timers here.
    let calls = 0;
    const { system, deleted } = startSweep(
      new ResourceStore([] as never),
      async () => {
        calls++;
        if (calls < 3) throw new Error('the API server is unavailable');
        return [listed('Service', 'gone')];
      },
      () => {},
      true,
    );
    await expect.poll(() => deleted.length, { timeout: 5_000 }).toBe(1);
    expect(calls).toBe(3);
    await system.stop();
  });

  it('gives up a listing or a deletion that keeps failing, so provisioning goes on', async () => {
    // Real (short) timers: the backoffs keep the actor busy.
    let listings = 0;
    const failing = startSweep(
      new ResourceStore([] as never),
      async () => {
        listings++;
        throw new Error('forbidden: cannot list services at the cluster scope');
      },
      () => {},
      true,
    );
    await failing.system.send<ProvisionerMessage>(PROVISIONER, {
      type: 'data-plane.desired',
      gateway,
      objects: [object('Service')],
    });
    await expect.poll(() => failing.applied.length, { timeout: 5_000 }).toBe(1);
    expect(listings).toBe(SWEEP_ATTEMPTS);
    await failing.system.stop();

    const stuck = startSweep(
      new ResourceStore([] as never),
      async () => [listed('Service', 'a'), listed('Service', 'b')],
      (object) => {
        if (object.gateway === 'a') throw new Error('denied by a webhook');
      },
      true,
    );
    await expect.poll(() => stuck.deleted.map((o) => o.gateway), { timeout: 5_000 }).toEqual(['b']);
    expect(stuck.attempted.filter((o) => o.gateway === 'a')).toHaveLength(SWEEP_ATTEMPTS);
    await stuck.system.stop();
  });

  it('refuses a sweep without its ports', () => {
    expect(() =>
      provisionerSpec(
        { 'apply-data-plane': async () => ({}), 'delete-data-plane': async () => ({}) },
        { sweep: { view: new ResourceStore([] as never), controllerName: 'c' } },
      ),
    ).toThrow(/list-provisioned-objects/);
  });
});
