// One Kubernetes source per kind: list, then watch from the list's resourceVersion, forwarding every change to
// the kind's owner. A watch that ends, fails or stalls is resumed from the last resourceVersion seen; 410 Gone
// (that version is no longer in the API server's window) leads to a fresh list, after which objects that
// vanished meanwhile are deleted. Errors back off exponentially, from the start again once a watch works. The
// first complete list makes the source ready and tells the owner the kind is synced.
import { and, assign, enqueueActions, setup } from 'xstate';
import type { RawObject } from '../../model/resources/resource-events.ts';
import { formatResourceKey, keyOf, type ResourceKey } from '../../model/resources/resource-key.ts';
import { deliverTo, type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import type { KubeObject, WatchEvent } from './client.ts';
import type { KubernetesSourceMessage } from './messages.ts';

export interface KubernetesSourceInput {
  readonly kind: string;
  /** The controller or resolver that owns the kind. */
  readonly owner: string;
  readonly backoff?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
}

/** What the `list` port returns; `served: false` when the API server does not serve the kind (no CRD). */
export interface ListResult {
  readonly served: boolean;
  readonly items: readonly KubeObject[];
  readonly resourceVersion: string;
}

/** What the `watch` port returns when its stream ends. */
export interface WatchEnded {
  readonly watch: number;
  /** `gone`: 410, relist; `stalled`: no data for too long; `closed`: the server ended it; `error`: see message. */
  readonly reason: 'gone' | 'stalled' | 'closed' | 'error';
  readonly message?: string;
}

interface KubernetesSourceContext {
  readonly kind: string;
  readonly owner: string;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  resourceVersion: string;
  watch: number;
  failures: number;
  synced: boolean;
  /** Keys of the objects the owner currently has from us, for deleting what vanished across a relist. */
  readonly known: Map<string, ResourceKey>;
  lastError: string | undefined;
  relists: number;
}

// The list/watch rules both sources share: this per-kind source, and the per-object watches of the Secrets and
// ConfigMaps that are watched by reference (referenced-source.ts).

/** Delay before the retry after `failures` consecutive failures: exponential from `initialMs`, capped. */
export function backoffDelay(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
}

/**
 * What follows the end of a watch: 410 Gone means the version left the API server's window (list again); a stall
 * or an error backs off; a watch the server closed (its timeout) resumes at once from the last version seen.
 */
export function afterWatchEnd(reason: WatchEnded['reason']): 'relist' | 'back-off' | 'resume' {
  if (reason === 'gone') return 'relist';
  if (reason === 'stalled' || reason === 'error') return 'back-off';
  return 'resume';
}

/**
 * The deliveries for a complete list: every item upserted, and what `known` had that the list no longer has
 * deleted (it vanished while we were not watching). Updates `known`.
 */
export function listDeliveries(
  known: Map<string, ResourceKey>,
  items: readonly KubeObject[],
  owner: string,
): Outgoing[] {
  const out: Outgoing[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const key = keyOf(item as RawObject);
    const id = formatResourceKey(key);
    seen.add(id);
    known.set(id, key);
    out.push(deliverTo(owner, { type: 'resource.upserted', object: item, origin: 'kubernetes' }));
  }
  for (const [id, key] of known) {
    if (seen.has(id)) continue;
    known.delete(id);
    out.push(deliverTo(owner, { type: 'resource.deleted', key }));
  }
  return out;
}

/** One watch event (not an ERROR): the version it brings and the delivery it makes (none for a bookmark). */
export function applyWatchEvent(
  known: Map<string, ResourceKey>,
  event: Exclude<WatchEvent, { type: 'ERROR' }>,
  kind: string,
  owner: string,
): { resourceVersion: string | undefined; deliveries: Outgoing[] } {
  const object = event.object;
  const version = object.metadata?.resourceVersion;
  const resourceVersion = typeof version === 'string' && version !== '' ? version : undefined;
  if (event.type === 'BOOKMARK') return { resourceVersion, deliveries: [] };
  const key = keyOf({
    apiVersion: object.apiVersion,
    kind: object.kind ?? kind,
    metadata: object.metadata,
  } as RawObject);
  const id = formatResourceKey(key);
  if (event.type === 'DELETED') {
    known.delete(id);
    return { resourceVersion, deliveries: [deliverTo(owner, { type: 'resource.deleted', key })] };
  }
  known.set(id, key);
  return {
    resourceVersion,
    deliveries: [deliverTo(owner, { type: 'resource.upserted', object, origin: 'kubernetes' })],
  };
}

type Done = Extract<EffectReply, { type: 'effect.done' }>;
type Failed = Extract<EffectReply, { type: 'effect.failed' }>;

export const kubernetesSourceMachine = setup({
  types: {
    input: {} as KubernetesSourceInput,
    context: {} as KubernetesSourceContext,
    events: {} as KubernetesSourceMessage,
    emitted: {} as Outgoing,
  },
  delays: {
    backoff: ({ context }) => backoffDelay(context.failures, context.initialDelayMs, context.maxDelayMs),
  },
  guards: {
    listEffect: ({ event }) => (event as Done | Failed).effect === 'list',
    watchEffect: ({ event }) => (event as Done | Failed).effect === 'watch',
    gone: ({ event }) => afterWatchEnd(((event as Done).result as WatchEnded).reason) === 'relist',
    stalledOrFailed: ({ event }) =>
      afterWatchEnd(((event as Done).result as WatchEnded).reason) === 'back-off',
    currentWatch: ({ context, event }) => ((event as Done).result as WatchEnded).watch === context.watch,
  },
  actions: {
    requestList: enqueueActions(({ context, enqueue }) => {
      enqueue.emit(effectRequest('list', { kind: context.kind }));
    }),
    requestWatch: enqueueActions(({ context, enqueue }) => {
      context.watch++;
      enqueue.emit(
        effectRequest('watch', {
          kind: context.kind,
          resourceVersion: context.resourceVersion,
          watch: context.watch,
        }),
      );
    }),
    applyList: enqueueActions(({ context, event, enqueue }) => {
      const result = (event as Done).result as ListResult;
      for (const delivery of listDeliveries(context.known, result.items, context.owner))
        enqueue.emit(delivery);
      context.resourceVersion = result.resourceVersion;
      context.failures = 0;
      if (!context.synced) {
        context.synced = true;
        enqueue.emit(deliverTo(context.owner, { type: 'resource.synced', kinds: [context.kind] }));
      }
      if (!result.served) {
        enqueue.emit(
          effectRequest('report-problem', {
            kind: context.kind,
            message: `the API server does not serve ${context.kind}; its CRD is not installed`,
          }),
        );
      }
    }),
    applyWatchEvent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'watch.event' || event.watch !== context.watch) return;
      const watchEvent = event.event;
      if (watchEvent.type === 'ERROR') return;
      // The watch works: the next failure backs off from the start again, not from where the last one left off.
      context.failures = 0;
      const applied = applyWatchEvent(context.known, watchEvent, context.kind, context.owner);
      if (applied.resourceVersion !== undefined) context.resourceVersion = applied.resourceVersion;
      for (const delivery of applied.deliveries) enqueue.emit(delivery);
    }),
    recordFailure: assign(({ context, event }) => {
      const failed = event as Failed | Done;
      const message =
        failed.type === 'effect.failed'
          ? failed.error
          : ((failed.result as WatchEnded).message ?? 'watch failed');
      return { failures: context.failures + 1, lastError: message };
    }),
    resetFailures: assign({ failures: 0 }),
    countRelist: assign({ relists: ({ context }) => context.relists + 1 }),
  },
}).createMachine({
  id: 'kubernetes-source',
  context: ({ input }) => ({
    kind: input.kind,
    owner: input.owner,
    initialDelayMs: input.backoff?.initialDelayMs ?? 500,
    maxDelayMs: input.backoff?.maxDelayMs ?? 30_000,
    resourceVersion: '',
    watch: 0,
    failures: 0,
    synced: false,
    known: new Map(),
    lastError: undefined,
    relists: 0,
  }),
  initial: 'listing',
  states: {
    listing: {
      entry: 'requestList',
      on: {
        'effect.done': { guard: 'listEffect', target: 'watching', actions: 'applyList' },
        'effect.failed': { guard: 'listEffect', target: 'waitingToList', actions: 'recordFailure' },
        'watch.event': {},
      },
    },
    waitingToList: {
      after: { backoff: 'listing' },
      on: { 'watch.event': {} },
    },
    watching: {
      tags: ['ready'],
      entry: 'requestWatch',
      on: {
        'watch.event': { actions: 'applyWatchEvent' },
        'effect.done': [
          {
            guard: and(['watchEffect', 'currentWatch', 'gone']),
            target: 'relisting',
            actions: 'countRelist',
          },
          {
            guard: and(['watchEffect', 'currentWatch', 'stalledOrFailed']),
            target: 'waitingToWatch',
            actions: 'recordFailure',
          },
          // The server closed the watch (its timeout): resume from the last version seen.
          {
            guard: and(['watchEffect', 'currentWatch']),
            target: 'watching',
            reenter: true,
            actions: 'resetFailures',
          },
        ],
        'effect.failed': { guard: 'watchEffect', target: 'waitingToWatch', actions: 'recordFailure' },
      },
    },
    waitingToWatch: {
      tags: ['ready'],
      after: { backoff: 'watching' },
      on: { 'watch.event': { actions: 'applyWatchEvent' } },
    },
    relisting: {
      tags: ['ready'],
      entry: 'requestList',
      on: {
        'effect.done': { guard: 'listEffect', target: 'watching', actions: 'applyList' },
        'effect.failed': { guard: 'listEffect', target: 'waitingToRelist', actions: 'recordFailure' },
        'watch.event': {},
      },
    },
    waitingToRelist: {
      tags: ['ready'],
      after: { backoff: 'relisting' },
      on: { 'watch.event': {} },
    },
  },
});
