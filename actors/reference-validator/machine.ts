// The reference validator: collects changes from controllers and resolvers, waits until every watched kind has
// been listed once (so no status is computed from half the cluster), then recomputes what each burst of
// changes affected — once per burst, after a short debounce.
import { enqueueActions, raise, setup } from 'xstate';
import type { ResourceView } from '../../model/resource-view.ts';
import { effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import type { ReferenceValidatorMessage } from './messages.ts';
import { GatewayResolution, rfc3339 } from './resolution.ts';

export interface ReferenceValidatorInput {
  readonly view: ResourceView;
  readonly controllerName: string;
  /** Kinds whose initial listing must complete before the first recomputation. */
  readonly expectedKinds: readonly string[];
  /** Kubernetes mode: the finalizer that keeps a GatewayClass while Gateways use it. */
  readonly gatewayClassFinalizer?: string;
  /** Debounce between a change and its recomputation (0 in translate and tests on a virtual clock). */
  readonly flushDelayMs: number;
}

interface ReferenceValidatorContext {
  readonly resolution: GatewayResolution;
  readonly expectedKinds: readonly string[];
  readonly syncedKinds: Set<string>;
  readonly flushDelayMs: number;
  flushScheduled: boolean;
  /** Logical time of the latest change: the time recomputed conditions carry. */
  lastChangeTime: number;
}

export const referenceValidatorMachine = setup({
  types: {
    input: {} as ReferenceValidatorInput,
    context: {} as ReferenceValidatorContext,
    events: {} as ReferenceValidatorMessage,
    emitted: {} as Outgoing,
  },
  guards: {
    allKindsSynced: ({ context }) => context.expectedKinds.every((kind) => context.syncedKinds.has(kind)),
  },
  actions: {
    recordChange: ({ context, event }) => {
      if (event.type !== 'resource.changed') return;
      context.resolution.changed(event.key, event.dependsOn, event.deleted, event.lookupKeys);
      context.lastChangeTime = Math.max(context.lastChangeTime, event.meta.time);
    },
    recordSynced: ({ context, event }) => {
      if (event.type !== 'kinds.synced') return;
      for (const kind of event.kinds) context.syncedKinds.add(kind);
      context.lastChangeTime = Math.max(context.lastChangeTime, event.meta.time);
    },
    reportRejection: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'object.rejected') {
        enqueue.emit(
          effectRequest('report-rejection', {
            key: event.key,
            origin: event.origin,
            problems: event.problems,
          }),
        );
      }
    }),
    scheduleFlush: enqueueActions(({ context, enqueue }) => {
      if (context.flushScheduled) return;
      context.flushScheduled = true;
      enqueue(
        raise({ type: 'validator.flush' } as ReferenceValidatorMessage, {
          delay: context.flushDelayMs,
          id: 'flush',
        }),
      );
    }),
    flush: enqueueActions(({ context, enqueue }) => {
      context.flushScheduled = false;
      for (const request of context.resolution.flush(rfc3339(context.lastChangeTime))) enqueue.emit(request);
    }),
  },
}).createMachine({
  id: 'reference-validator',
  context: ({ input }) => ({
    resolution: new GatewayResolution(input.view, input.controllerName, input.gatewayClassFinalizer),
    expectedKinds: input.expectedKinds,
    syncedKinds: new Set(),
    flushDelayMs: input.flushDelayMs,
    flushScheduled: false,
    lastChangeTime: 0,
  }),
  initial: 'syncing',
  on: { 'object.rejected': { actions: 'reportRejection' } },
  states: {
    syncing: {
      always: { guard: 'allKindsSynced', target: 'resolving', actions: 'scheduleFlush' },
      on: {
        'resource.changed': { actions: 'recordChange' },
        'kinds.synced': { actions: 'recordSynced' },
      },
    },
    resolving: {
      tags: ['ready'],
      on: {
        'resource.changed': { actions: ['recordChange', 'scheduleFlush'] },
        'kinds.synced': { actions: 'recordSynced' },
        'validator.flush': { actions: 'flush' },
      },
    },
  },
});
