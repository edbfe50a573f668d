// A patcher owns every status write of one kind: it writes the latest desired status of an object (its mailbox
// coalesces per object), skips writes that would change nothing, writes one object at a time, and retries a
// failed write with capped exponential backoff.
import { assign, enqueueActions, setup } from 'xstate';
import { formatResourceKey, type ResourceKey } from '../../model/resource-key.ts';
import type { ResourceView } from '../../model/resource-view.ts';
import type { KindName } from '../../model/resources.ts';
import type { EffectReply } from '../../runtime/outbox.ts';
import { effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import type { PatcherMessage, StatusDesired } from './messages.ts';

export interface PatcherInput {
  readonly kind: string;
  readonly view: ResourceView;
  readonly retry?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
}

/** What the write port is asked to do. */
export interface StatusWrite {
  readonly key: ResourceKey;
  readonly status: unknown;
}

interface PatcherContext {
  readonly kind: string;
  readonly view: ResourceView;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** JSON of the status last written per object. */
  readonly written: Map<string, string>;
  inFlight: StatusWrite | undefined;
  attempts: number;
  writes: number;
  failures: number;
}

export const patcherMachine = setup({
  types: {
    input: {} as PatcherInput,
    context: {} as PatcherContext,
    events: {} as PatcherMessage | EffectReply,
    emitted: {} as Outgoing,
  },
  delays: {
    backoff: ({ context }) =>
      Math.min(context.maxDelayMs, context.initialDelayMs * 2 ** Math.max(0, context.attempts - 1)),
  },
  guards: {
    changesSomething: ({ context, event }) => {
      const desired = event as StatusDesired;
      const json = JSON.stringify(desired.status);
      const id = formatResourceKey(desired.key);
      if (context.written.get(id) === json) return false;
      const current = context.view.get(
        desired.key.kind as KindName,
        desired.key.namespace,
        desired.key.name,
      ) as { status?: unknown } | undefined;
      return current === undefined || JSON.stringify(current.status) !== json;
    },
  },
  actions: {
    startWrite: enqueueActions(({ context, event, enqueue }) => {
      const desired = event as StatusDesired;
      context.inFlight = { key: desired.key, status: desired.status };
      context.attempts = 1;
      enqueue.emit(effectRequest('write-status', context.inFlight));
    }),
    retryWrite: enqueueActions(({ context, enqueue }) => {
      context.attempts++;
      enqueue.emit(effectRequest('write-status', context.inFlight));
    }),
    recordWritten: assign(({ context }) => {
      const write = context.inFlight!;
      context.written.set(formatResourceKey(write.key), JSON.stringify(write.status));
      return { inFlight: undefined, attempts: 0, writes: context.writes + 1 };
    }),
    recordFailure: assign(({ context }) => ({ failures: context.failures + 1 })),
  },
}).createMachine({
  id: 'patcher',
  context: ({ input }) => ({
    kind: input.kind,
    view: input.view,
    initialDelayMs: input.retry?.initialDelayMs ?? 200,
    maxDelayMs: input.retry?.maxDelayMs ?? 30_000,
    written: new Map(),
    inFlight: undefined,
    attempts: 0,
    writes: 0,
    failures: 0,
  }),
  initial: 'idle',
  states: {
    idle: {
      tags: ['ready'],
      on: { 'status.desired': { guard: 'changesSomething', target: 'writing', actions: 'startWrite' } },
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
