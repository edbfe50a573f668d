import { describe, expect, it } from 'vitest';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { LOCAL_DATA_PLANE, type LocalDataPlaneMessage, localDataPlaneMachine } from './local-data-plane.ts';

const gateway = resourceKey('gateway.networking.k8s.io', 'Gateway', 'default', 'web');

describe('local data plane', () => {
  it('starts a proxy per Gateway, restarts it with growing backoff when it exits, and stops it when the Gateway goes', async () => {
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    const calls: string[] = [];
    system.spawn({
      name: LOCAL_DATA_PLANE,
      machine: localDataPlaneMachine,
      input: { initialDelayMs: 100, maxDelayMs: 1000 },
      mailbox: { capacity: 8 },
      effects: {
        'start-proxy': () => calls.push(`start@${clock.now()}`),
        'stop-proxy': () => calls.push(`stop@${clock.now()}`),
      },
    });
    system.start();
    const send = (message: Parameters<typeof system.send<LocalDataPlaneMessage>>[1]) =>
      system.send<LocalDataPlaneMessage>(LOCAL_DATA_PLANE, message);
    await send({ type: 'local.gateway.present', gateway });
    await send({ type: 'local.gateway.present', gateway });
    await runUntilQuiescent(system, clock);
    await send({ type: 'proxy.exited', gateway, code: 1 });
    await runUntilQuiescent(system, clock);
    await send({ type: 'proxy.exited', gateway, code: 1 });
    await runUntilQuiescent(system, clock);
    await send({ type: 'local.gateway.absent', gateway });
    await send({ type: 'proxy.exited', gateway, code: 0 });
    await runUntilQuiescent(system, clock);
    expect(calls).toEqual(['start@0', 'start@100', 'start@300', 'stop@300']);
    await system.stop();
  });
});
