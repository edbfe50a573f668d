// The source of a kind watched by reference (Secrets, ConfigMaps): instead of listing the whole cluster it follows
// the set of objects something references (`references.wanted` from the reference validator) and keeps one
// list+watch per referenced object, by name in its namespace (`fieldSelector=metadata.name=<name>`). Each object's
// list+watch follows the same rules as the per-kind source (machine.ts: relist on 410 Gone, back off on errors
// and stalls, resume a closed watch from the last version seen); an object no longer referenced has its watch
// stopped and is deleted from the owner, so only referenced objects are ever held.
//
// The kind counts as synced once the first complete set has arrived (sent once every kind that can reference
// one has been listed) and each object in it has been listed once, found or not.
import { enqueueActions, setup } from 'xstate';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { deliverTo, type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import {
  afterWatchEnd,
  applyWatchEvent,
  backoffDelay,
  type ListResult,
  listDeliveries,
  type WatchEnded,
} from './machine.ts';
import type { ReferencedSourceMessage } from './messages.ts';

export interface ReferencedSourceInput {
  readonly kind: string;
  /** The resolver that owns the kind. */
  readonly owner: string;
  readonly backoff?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
}

/** The `list` request for one object: the per-kind request plus where the object is and which attempt this is. */
export interface ObjectListRequest {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly attempt: number;
}

/** The `watch` request for one object; `watch` numbers are unique across the source's objects. */
export interface ObjectWatchRequest {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
  readonly watch: number;
}

interface ObjectWatch {
  readonly namespace: string;
  readonly name: string;
  /** The current list or watch attempt: replies to, events of and retries for older ones are ignored. */
  attempt: number;
  phase: 'listing' | 'watching' | 'backing-off';
  /** What a backoff ends in: a list (before the first success, after 410 Gone) or a resumed watch. */
  retry: 'list' | 'watch';
  resourceVersion: string;
  failures: number;
  listed: boolean;
  /** What the owner has from this watch (the object, or nothing): deleted when the object is dropped. */
  readonly known: Map<string, ResourceKey>;
}

interface ReferencedSourceContext {
  readonly kind: string;
  readonly owner: string;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Objects referenced now, by `namespace/name`. */
  readonly objects: Map<string, ObjectWatch>;
  /** Attempt number → object, for effect replies and watch events. */
  readonly attempts: Map<number, string>;
  nextAttempt: number;
  referencesKnown: boolean;
  synced: boolean;
  lastError: string | undefined;
  relists: number;
}

type Done = Extract<EffectReply, { type: 'effect.done' }>;
type Failed = Extract<EffectReply, { type: 'effect.failed' }>;

function objectId(key: { readonly namespace?: string; readonly name: string }): string {
  return `${key.namespace ?? ''}/${key.name}`;
}

/** The object an effect reply, watch event or retry belongs to, if it is still that object's current attempt. */
function current(context: ReferencedSourceContext, attempt: number): ObjectWatch | undefined {
  const id = context.attempts.get(attempt);
  const object = id === undefined ? undefined : context.objects.get(id);
  return object?.attempt === attempt ? object : undefined;
}

function begin(context: ReferencedSourceContext, object: ObjectWatch): number {
  context.attempts.delete(object.attempt);
  object.attempt = context.nextAttempt++;
  context.attempts.set(object.attempt, objectId(object));
  return object.attempt;
}

function listRequest(context: ReferencedSourceContext, object: ObjectWatch): Outgoing {
  object.phase = 'listing';
  const attempt = begin(context, object);
  const request: ObjectListRequest = {
    kind: context.kind,
    namespace: object.namespace,
    name: object.name,
    attempt,
  };
  return effectRequest('list', request);
}

function watchRequest(context: ReferencedSourceContext, object: ObjectWatch): Outgoing {
  object.phase = 'watching';
  const watch = begin(context, object);
  const request: ObjectWatchRequest = {
    kind: context.kind,
    namespace: object.namespace,
    name: object.name,
    resourceVersion: object.resourceVersion,
    watch,
  };
  return effectRequest('watch', request);
}

export const referencedSourceMachine = setup({
  types: {
    input: {} as ReferencedSourceInput,
    context: {} as ReferencedSourceContext,
    events: {} as ReferencedSourceMessage,
    emitted: {} as Outgoing,
  },
  guards: {
    listEffect: ({ event }) => (event as Done | Failed).effect === 'list',
    watchEffect: ({ event }) => (event as Done | Failed).effect === 'watch',
    listOrWatchEffect: ({ event }) => ['list', 'watch'].includes((event as Done | Failed).effect),
    everyObjectListed: ({ context }) =>
      context.referencesKnown && [...context.objects.values()].every((object) => object.listed),
  },
  actions: {
    followReferences: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'references.wanted' || event.kind !== context.kind) return;
      context.referencesKnown = true;
      const wanted = new Map(event.keys.map((key) => [objectId(key), key]));
      for (const [id, object] of context.objects) {
        if (wanted.has(id)) continue;
        // No longer referenced: stop its watch and let the owner forget it.
        if (object.phase === 'watching') enqueue.emit(effectRequest('stop-watch', { watch: object.attempt }));
        if (object.phase === 'backing-off') enqueue.cancel(`retry:${id}`);
        context.attempts.delete(object.attempt);
        context.objects.delete(id);
        for (const key of object.known.values())
          enqueue.emit(deliverTo(context.owner, { type: 'resource.deleted', key }));
      }
      for (const [id, key] of wanted) {
        if (context.objects.has(id) || key.namespace === undefined) continue;
        const object: ObjectWatch = {
          namespace: key.namespace,
          name: key.name,
          attempt: 0,
          phase: 'listing',
          retry: 'list',
          resourceVersion: '',
          failures: 0,
          listed: false,
          known: new Map(),
        };
        context.objects.set(id, object);
        enqueue.emit(listRequest(context, object));
      }
    }),
    applyList: enqueueActions(({ context, event, enqueue }) => {
      const done = event as Done;
      const object = current(context, (done.request as ObjectListRequest).attempt);
      if (object === undefined || object.phase !== 'listing') return;
      const result = done.result as ListResult;
      for (const delivery of listDeliveries(object.known, result.items, context.owner))
        enqueue.emit(delivery);
      object.resourceVersion = result.resourceVersion;
      object.failures = 0;
      if (!object.listed) {
        // After its upsert, through the owner: whoever waits for it sees the object stored (or known absent).
        const key = { group: '', kind: context.kind, namespace: object.namespace, name: object.name };
        enqueue.emit(deliverTo(context.owner, { type: 'resource.fetched', keys: [key] }));
      }
      object.listed = true;
      enqueue.emit(watchRequest(context, object));
    }),
    applyWatchEvent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'watch.event' || event.event.type === 'ERROR') return;
      const object = current(context, event.watch);
      if (object === undefined || object.phase !== 'watching') return;
      object.failures = 0;
      const applied = applyWatchEvent(object.known, event.event, context.kind, context.owner);
      if (applied.resourceVersion !== undefined) object.resourceVersion = applied.resourceVersion;
      for (const delivery of applied.deliveries) enqueue.emit(delivery);
    }),
    applyWatchEnd: enqueueActions(({ context, event, enqueue }) => {
      const ended = (event as Done).result as WatchEnded;
      const object = current(context, ended.watch);
      if (object === undefined || object.phase !== 'watching') return;
      const next = afterWatchEnd(ended.reason);
      if (next === 'relist') {
        context.relists++;
        enqueue.emit(listRequest(context, object));
      } else if (next === 'resume') {
        object.failures = 0;
        enqueue.emit(watchRequest(context, object));
      } else {
        context.lastError = `${object.namespace}/${object.name}: ${ended.message ?? 'watch failed'}`;
        enqueue.raise(...backOff(context, object, 'watch'));
      }
    }),
    recordFailure: enqueueActions(({ context, event, enqueue }) => {
      const failed = event as Failed;
      const attempt =
        failed.effect === 'list'
          ? (failed.request as ObjectListRequest).attempt
          : (failed.request as ObjectWatchRequest).watch;
      const object = current(context, attempt);
      if (object === undefined || object.phase === 'backing-off') return;
      context.lastError = `${object.namespace}/${object.name}: ${failed.error}`;
      enqueue.raise(
        ...backOff(context, object, object.listed && failed.effect === 'watch' ? 'watch' : 'list'),
      );
    }),
    retry: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'object.retry') return;
      const object = current(context, event.attempt);
      if (object === undefined || object.phase !== 'backing-off') return;
      enqueue.emit(object.retry === 'list' ? listRequest(context, object) : watchRequest(context, object));
    }),
    reportSynced: enqueueActions(({ context, enqueue }) => {
      context.synced = true;
      enqueue.emit(deliverTo(context.owner, { type: 'resource.synced', kinds: [context.kind] }));
    }),
  },
}).createMachine({
  id: 'referenced-source',
  context: ({ input }) => ({
    kind: input.kind,
    owner: input.owner,
    initialDelayMs: input.backoff?.initialDelayMs ?? 500,
    maxDelayMs: input.backoff?.maxDelayMs ?? 30_000,
    objects: new Map(),
    attempts: new Map(),
    nextAttempt: 1,
    referencesKnown: false,
    synced: false,
    lastError: undefined,
    relists: 0,
  }),
  on: {
    'references.wanted': { actions: 'followReferences' },
    'watch.event': { actions: 'applyWatchEvent' },
    'object.retry': { actions: 'retry' },
    'effect.done': [
      { guard: 'listEffect', actions: 'applyList' },
      { guard: 'watchEffect', actions: 'applyWatchEnd' },
    ],
    // A failed `stop-watch` needs nothing: the object is already forgotten, and so is any event of its watch.
    'effect.failed': { guard: 'listOrWatchEffect', actions: 'recordFailure' },
  },
  initial: 'syncing',
  states: {
    syncing: {
      always: { guard: 'everyObjectListed', target: 'following', actions: 'reportSynced' },
    },
    following: { tags: ['ready'] },
  },
});

/** Counts the failure; the retry is a raised, delayed event on the clock (one per object, cancellable). */
function backOff(context: ReferencedSourceContext, object: ObjectWatch, retry: 'list' | 'watch') {
  object.failures++;
  object.phase = 'backing-off';
  object.retry = retry;
  const id = objectId(object);
  const event = { type: 'object.retry', object: id, attempt: object.attempt } as ReferencedSourceMessage;
  const delay = backoffDelay(object.failures, context.initialDelayMs, context.maxDelayMs);
  return [event, { delay, id: `retry:${id}` }] as const;
}
