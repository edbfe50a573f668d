// The gateway deployer's place in backend tests: an actor that records every BackendGatewayStatus it is sent.
import { expect } from 'vitest';
import { emit, setup } from 'xstate';
import type { BackendGatewayStatus } from '../../../model/ir/backend-contract.ts';
import type { ActorSystem } from '../../../runtime/ActorSystem.ts';
import { effectRequest, type Outgoing } from '../../../runtime/outbox.ts';

const recorder = setup({
  types: { events: {} as BackendGatewayStatus, emitted: {} as Outgoing },
}).createMachine({
  initial: 'on',
  states: {
    on: {
      tags: ['ready'],
      on: { 'backend.gateway.status': { actions: emit(({ event }) => effectRequest('record', event)) } },
    },
  },
});

/** Spawns the recorder as `name`; the statuses it receives are appended to the returned array. */
export function spawnStatusRecorder(
  system: ActorSystem,
  name: string,
  capacity: number,
): BackendGatewayStatus[] {
  const statuses: BackendGatewayStatus[] = [];
  system.spawn({
    name,
    machine: recorder,
    mailbox: { capacity },
    effects: { record: (status: BackendGatewayStatus) => statuses.push(status) },
  });
  return statuses;
}

/** Waits (a bounded number of turns) until `count` statuses arrived, checks that is all, and returns the last. */
export async function settled(
  statuses: readonly BackendGatewayStatus[],
  count: number,
): Promise<BackendGatewayStatus> {
  for (let i = 0; i < 200 && statuses.length < count; i++)
    await new Promise((resolve) => setImmediate(resolve));
  expect(statuses).toHaveLength(count);
  return statuses.at(-1)!;
}
