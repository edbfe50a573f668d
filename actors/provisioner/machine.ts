// The provisioner writes the data plane of each Gateway (cluster mode): one write at a time, the latest desired
// state per Gateway (its mailbox coalesces per Gateway), skipping what was already applied, retrying a failed
// write with capped exponential backoff. Like the patchers it only writes; what to write comes from the deployer.
import { enqueueActions, setup } from 'xstate';
import { provisionedName } from '../../model/provisioning.ts';
import { formatResourceKey } from '../../model/resource-key.ts';
import { type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import type { ApplyDataPlane, DeleteDataPlane, ProvisionerMessage } from './messages.ts';

export interface ProvisionerInput {
  readonly retry?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
}

interface PendingWrite {
  readonly effect: 'apply-data-plane' | 'delete-data-plane';
  readonly request: ApplyDataPlane | DeleteDataPlane;
  readonly id: string;
  /** JSON of the applied objects; undefined for a deletion. */
  readonly json: string | undefined;
}

interface ProvisionerContext {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Gateway id → JSON of the objects last applied for it. */
  readonly applied: Map<string, string>;
  inFlight: PendingWrite | undefined;
  attempts: number;
  writes: number;
  failures: number;
  lastError: string | undefined;
}

export const provisionerMachine = setup({
  types: {
    input: {} as ProvisionerInput,
    context: {} as ProvisionerContext,
    events: {} as ProvisionerMessage | EffectReply,
    emitted: {} as Outgoing,
  },
  delays: {
    backoff: ({ context }) =>
      Math.min(context.maxDelayMs, context.initialDelayMs * 2 ** Math.max(0, context.attempts - 1)),
  },
  guards: {
    changesSomething: ({ context, event }) =>
      event.type === 'data-plane.desired' &&
      context.applied.get(formatResourceKey(event.gateway)) !== JSON.stringify(event.objects),
  },
  actions: {
    startApply: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'data-plane.desired') return;
      const json = JSON.stringify(event.objects);
      context.inFlight = {
        effect: 'apply-data-plane',
        request: { gateway: event.gateway, objects: event.objects },
        id: formatResourceKey(event.gateway),
        json,
      };
      context.attempts = 1;
      enqueue.emit(effectRequest(context.inFlight.effect, context.inFlight.request));
    }),
    // Deletion is always attempted: after a restart nothing says what an earlier process provisioned.
    startDelete: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'data-plane.unwanted') return;
      context.inFlight = {
        effect: 'delete-data-plane',
        request: {
          gateway: event.gateway,
          namespace: event.gateway.namespace ?? '',
          name: provisionedName(event.gateway.name),
        },
        id: formatResourceKey(event.gateway),
        json: undefined,
      };
      context.attempts = 1;
      enqueue.emit(effectRequest(context.inFlight.effect, context.inFlight.request));
    }),
    retryWrite: enqueueActions(({ context, enqueue }) => {
      context.attempts++;
      if (context.inFlight !== undefined)
        enqueue.emit(effectRequest(context.inFlight.effect, context.inFlight.request));
    }),
    recordWritten: ({ context }) => {
      const write = context.inFlight;
      if (write === undefined) return;
      if (write.json === undefined) context.applied.delete(write.id);
      else context.applied.set(write.id, write.json);
      context.inFlight = undefined;
      context.attempts = 0;
      context.writes++;
      context.lastError = undefined;
    },
    recordFailure: ({ context, event }) => {
      context.failures++;
      if (event.type === 'effect.failed') context.lastError = event.error;
    },
  },
}).createMachine({
  id: 'provisioner',
  context: ({ input }) => ({
    initialDelayMs: input.retry?.initialDelayMs ?? 200,
    maxDelayMs: input.retry?.maxDelayMs ?? 30_000,
    applied: new Map(),
    inFlight: undefined,
    attempts: 0,
    writes: 0,
    failures: 0,
    lastError: undefined,
  }),
  initial: 'idle',
  states: {
    idle: {
      tags: ['ready'],
      on: {
        'data-plane.desired': { guard: 'changesSomething', target: 'writing', actions: 'startApply' },
        'data-plane.unwanted': { target: 'writing', actions: 'startDelete' },
      },
    },
    writing: {
      tags: ['ready', 'busy'],
      on: {
        'effect.done': { target: 'idle', actions: 'recordWritten' },
        'effect.failed': { target: 'waitingToRetry', actions: 'recordFailure' },
      },
    },
    waitingToRetry: {
      tags: ['ready', 'busy'],
      after: { backoff: { target: 'writing', actions: 'retryWrite' } },
    },
  },
});
