import { describe, expect, it } from 'vitest';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import {
  LOCAL_DATA_PLANE,
  type LocalDataPlaneMessage,
  localDataPlaneMachine,
  type StartProxyRequest,
} from './local-data-plane.ts';

const gateway = resourceKey('gateway.networking.k8s.io', 'Gateway', 'default', 'web');

/** A started local data plane on a virtual clock; `calls` lists what it asked of its effects. */
function startLocalDataPlane(
  input: { initialDelayMs?: number; maxDelayMs?: number },
  describeStart: (request: StartProxyRequest, now: number) => string,
  describeStop: (now: number) => string,
) {
  const clock = new VirtualClock();
  const system = new ActorSystem({ clock });
  const calls: string[] = [];
  system.spawn({
    name: LOCAL_DATA_PLANE,
    machine: localDataPlaneMachine,
    input,
    mailbox: { capacity: 8 },
    effects: {
      'start-proxy': (request: StartProxyRequest) => calls.push(describeStart(request, clock.now())),
      'stop-proxy': () => calls.push(describeStop(clock.now())),
    },
  });
  system.start();
  const send = (message: Parameters<typeof system.send<LocalDataPlaneMessage>>[1]) =>
    system.send<LocalDataPlaneMessage>(LOCAL_DATA_PLANE, message);
  return { clock, system, calls, send };
}

describe('local data plane', () => {
  it('starts a proxy per Gateway, restarts it with growing backoff when it exits, and stops it when the Gateway goes', async () => {
    const { clock, system, calls, send } = startLocalDataPlane(
      { initialDelayMs: 100, maxDelayMs: 1000 },
      (_, now) => `start@${now}`,
      (now) => `stop@${now}`,
    );
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

  it('restarts the proxy with new command-line settings when its EnvoyProxy changes them', async () => {
    const { clock, system, calls, send } = startLocalDataPlane(
      {},
      (request) => `start ${request.process?.logLevel.default ?? 'default'}`,
      () => 'stop',
    );
    const debug = { logLevel: { default: 'debug', components: {} }, extraArgs: [] };
    await send({ type: 'local.gateway.present', gateway });
    await send({ type: 'local.gateway.present', gateway, process: debug });
    await send({ type: 'local.gateway.present', gateway, process: { ...debug } });
    await runUntilQuiescent(system, clock);
    expect(calls).toEqual(['start default', 'stop', 'start debug']);
    await system.stop();
  });
});
