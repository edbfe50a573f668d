import { describe, expect, it } from 'vitest';
import type { ProvisionedObject } from '../../model/provisioning.ts';
import { resourceKey } from '../../model/resource-key.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { PROVISIONER, provisionerSpec } from './index.ts';
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
