// A patcher owns every status write of one kind: it writes the latest desired status of an object (its mailbox
// coalesces per object), skips writes that would change nothing, writes one object at a time, and retries a
// failed write with capped exponential backoff. A batch of statuses (`statuses.desired`) is taken in one step and
// written in its order, one at a time, before the next message.
import { assign, enqueueActions, setup } from 'xstate';
import type { KindName } from '../../model/resources/kinds.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import { canonicalFingerprint, fingerprint } from '../../runtime/fingerprint.ts';
import type { EffectReply } from '../../runtime/outbox.ts';
import { effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import type { FinalizerDesired, PatcherMessage, StatusDesired, StatusesDesired } from './messages.ts';

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

/** What the `write-finalizer` port is asked to do. */
export interface FinalizerWrite {
  readonly key: ResourceKey;
  readonly finalizer: string;
  readonly present: boolean;
}

interface PendingWrite {
  readonly effect: 'write-status' | 'write-finalizer';
  readonly request: StatusWrite | FinalizerWrite;
  /** Key in `written` and the value recorded there once written. */
  readonly id: string;
  /** The finalizer presence (a status write is digested once written, if it must be: recordWritten). */
  readonly json: string | undefined;
  /** The object as the view held it when the write started (the one the write lands on). */
  readonly basis: WeakRef<object> | undefined;
}

/**
 * A status written: its digest, and the object of the view it was written onto — weakly, so an object the view
 * has replaced or dropped is not kept alive by the record.
 */
interface Written {
  readonly digest: string;
  readonly basis: WeakRef<object> | undefined;
}

interface PatcherContext {
  readonly kind: string;
  readonly view: ResourceView;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** The status last written per object. */
  readonly written: Map<string, Written>;
  inFlight: PendingWrite | undefined;
  /** The statuses of the batch being written; those before `next` are written or skipped. */
  queue: StatusesDesired['statuses'];
  next: number;
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
    changesSomething: ({ context, event }) => changesSomething(context, event as StatusDesired),
    nothingInFlight: ({ context }) => context.inFlight === undefined,
    changesFinalizers: ({ context, event }) => {
      const desired = event as FinalizerDesired;
      const current = context.view.get(desired.key.kind as KindName, desired.key.namespace, desired.key.name);
      if (current === undefined) return false;
      const has = ((current.metadata as { finalizers?: string[] }).finalizers ?? []).includes(
        desired.finalizer,
      );
      return has !== desired.present;
    },
  },
  actions: {
    startWrite: enqueueActions(({ context, event, enqueue }) => {
      enqueue.emit(startStatusWrite(context, event as StatusDesired));
    }),
    startBatch: enqueueActions(({ context, event, enqueue }) => {
      context.queue = (event as StatusesDesired).statuses;
      context.next = 0;
      const request = startNextQueued(context);
      if (request !== undefined) enqueue.emit(request);
    }),
    continueBatch: enqueueActions(({ context, enqueue }) => {
      const request = startNextQueued(context);
      if (request !== undefined) enqueue.emit(request);
    }),
    startFinalizerWrite: enqueueActions(({ context, event, enqueue }) => {
      const desired = event as FinalizerDesired;
      context.inFlight = {
        effect: 'write-finalizer',
        request: { key: desired.key, finalizer: desired.finalizer, present: desired.present },
        id: `finalizer:${formatResourceKey(desired.key)}`,
        json: String(desired.present),
        basis: undefined,
      };
      context.attempts = 1;
      enqueue.emit(effectRequest(context.inFlight.effect, context.inFlight.request));
    }),
    retryWrite: enqueueActions(({ context, enqueue }) => {
      context.attempts++;
      if (context.inFlight !== undefined)
        enqueue.emit(effectRequest(context.inFlight.effect, context.inFlight.request));
    }),
    recordWritten: assign(({ context }) => {
      const write = context.inFlight!;
      if (write.effect === 'write-status') {
        const { key, status } = write.request as StatusWrite;
        // The view holds the write already (standalone mode puts the very status on the stored object): its own
        // status decides from now on, and nothing needs digesting. Otherwise the view sees it later (the API
        // server's echo), and until then the digest of what was written does.
        if (viewed(context.view, key)?.status === status) context.written.delete(write.id);
        else context.written.set(write.id, { digest: statusDigest(status), basis: write.basis });
      }
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
    queue: [],
    next: 0,
    attempts: 0,
    writes: 0,
    failures: 0,
  }),
  initial: 'idle',
  states: {
    idle: {
      tags: ['ready'],
      on: {
        'status.desired': { guard: 'changesSomething', target: 'writing', actions: 'startWrite' },
        // Nothing in it to write (all unchanged): back to idle at once, through `writing`'s `always`.
        'statuses.desired': { target: 'writing', actions: 'startBatch' },
        'finalizer.desired': {
          guard: 'changesFinalizers',
          target: 'writing',
          actions: 'startFinalizerWrite',
        },
      },
    },
    writing: {
      tags: ['ready', 'busy'],
      always: { guard: 'nothingInFlight', target: 'idle' },
      on: {
        // The next status of the batch, if any is left that changes something; `always` goes idle when none is.
        'effect.done': { actions: ['recordWritten', 'continueBatch'] },
        'effect.failed': { target: 'waitingToRetry', actions: 'recordFailure' },
      },
    },
    waitingToRetry: {
      tags: ['ready', 'busy'],
      after: { backoff: { target: 'writing', actions: 'retryWrite' } },
    },
  },
});

/** Whether writing the desired status would change the object (or what we last wrote onto it). */
function changesSomething(context: PatcherContext, desired: StatusWrite): boolean {
  const current = viewed(context.view, desired.key);
  // Written onto the object the view still holds: the view has not yet seen the write. Once it has (the
  // echo's keys in the API server's order, which the digest ignores), or once the object is another
  // (updated by someone else, or deleted and created again under the same name, with no status of ours),
  // its own status decides.
  const written = context.written.get(formatResourceKey(desired.key));
  if (
    current !== undefined &&
    written !== undefined &&
    written.basis?.deref() === current &&
    written.digest === statusDigest(desired.status)
  )
    return false;
  return current === undefined || !sameStatus(current.status, desired.status);
}

function startStatusWrite(context: PatcherContext, desired: StatusWrite): Outgoing {
  if (isObject(desired.status)) ownStatuses.add(desired.status);
  context.inFlight = {
    effect: 'write-status',
    request: { key: desired.key, status: desired.status },
    id: formatResourceKey(desired.key),
    json: undefined,
    basis: weakly(viewed(context.view, desired.key)),
  };
  context.attempts = 1;
  return effectRequest(context.inFlight.effect, context.inFlight.request);
}

/**
 * Starts the write of the batch's next status that changes something — checked now, when its turn comes, as a
 * single `status.desired` is checked when it is taken — or, when none is left, forgets the batch.
 */
function startNextQueued(context: PatcherContext): Outgoing | undefined {
  const queue = context.queue;
  while (context.next < queue.length) {
    const desired = queue[context.next++]!;
    if (changesSomething(context, desired)) return startStatusWrite(context, desired);
  }
  context.queue = [];
  context.next = 0;
  return undefined;
}

function weakly(object: object | undefined): WeakRef<object> | undefined {
  return object === undefined ? undefined : new WeakRef(object);
}

function viewed(view: ResourceView, key: ResourceKey): { status?: unknown } | undefined {
  return view.get(key.kind as KindName, key.namespace, key.name) as { status?: unknown } | undefined;
}

/**
 * Digests of status objects, by identity: a desired status is checked and then written (two digests of one
 * object), and a stored object's status is compared on every desired status for it until it changes.
 *
 * Our own statuses are digested in their own key order (`fingerprint`: JSON.stringify alone), which is what most
 * comparisons need — a desired status against the one written before, or against the object's status when that
 * is one of ours (standalone mode puts the very object on it). The digest whatever the key order
 * (`canonicalFingerprint`, a sorted copy of every object) is taken only when those differ: a status read back from
 * the API server (Go's JSON sorts map keys) that says what we would write is still not written again.
 */
const ownDigests = new WeakMap<object, string>();
/** Statuses we asked to write: their own key order is ours, so their own-order digest is the one to compare. */
const ownStatuses = new WeakSet<object>();
const canonicalDigests = new WeakMap<object, string>();

function statusDigest(status: unknown): string {
  if (!isObject(status)) return fingerprint(status);
  let digest = ownDigests.get(status);
  if (digest === undefined) {
    digest = fingerprint(status);
    ownDigests.set(status, digest);
  }
  return digest;
}

function canonicalDigest(status: object): string {
  let digest = canonicalDigests.get(status);
  if (digest === undefined) {
    digest = canonicalFingerprint(status);
    canonicalDigests.set(status, digest);
  }
  return digest;
}

/** Whether the object's status says what the desired status says, whatever the order of their keys. */
export function sameStatus(current: unknown, desired: unknown): boolean {
  if (current === desired) return true;
  // No keys to order (no status yet, say): an object and no object differ, two values' digests decide.
  if (!isObject(current) || !isObject(desired))
    return isObject(current) === isObject(desired) && statusDigest(current) === statusDigest(desired);
  // The status of an object is ours when we digested it as a desired status or wrote it (standalone mode's write
  // puts the very object there): its own-order digest is what we compare, and equal digests mean equal statuses.
  if (
    (ownDigests.has(current) || ownStatuses.has(current)) &&
    statusDigest(current) === statusDigest(desired)
  )
    return true;
  return canonicalDigest(current) === canonicalDigest(desired);
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}
