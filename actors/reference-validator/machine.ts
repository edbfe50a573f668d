// The reference validator: collects changes from controllers and resolvers, waits until every watched kind has
// been listed once (so no status is computed from half the cluster), then recomputes what each burst of
// changes affected — once per burst, after a short debounce, in steps of bounded work (docs/architecture.md).
import { enqueueActions, raise, setup } from 'xstate';
import { isFetchableReference } from '../../model/evaluation/watched-references.ts';
import { isPolicyKind, policyKindRules, policyProblemsAsWritten } from '../../model/policies/index.ts';
import type { OidcDiscoveryView } from '../../model/policies/oidc-discovery.ts';
import type { EnvoyGatewayPolicy } from '../../model/resources/envoy-gateway-policies.ts';
import { formatResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import { batch, deliverTo, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import { batchStatuses } from '../patchers/messages.ts';
import type { ReferenceValidatorMessage, ResourceChange } from './messages.ts';
import { GatewayResolution, rfc3339 } from './resolution.ts';

export interface ReferenceValidatorInput {
  readonly view: ResourceView;
  readonly controllerName: string;
  /** Kinds whose initial listing must complete before the first recomputation. */
  readonly expectedKinds: readonly string[];
  /** Kubernetes mode: the finalizer that keeps a GatewayClass while Gateways use it. */
  readonly gatewayClassFinalizer?: string;
  /** Standalone mode: the data plane runs on this host (Backends may name host-only addresses). */
  readonly hostDataPlane?: boolean;
  /** The OpenID Connect discovery documents read so far (written by actors/policies/oidc-discovery.ts). */
  readonly oidcDiscovery?: OidcDiscoveryView;
  /** Debounce between a change and its recomputation (0 in translate and tests on a virtual clock). */
  readonly flushDelayMs: number;
  /**
   * Kubernetes mode: kinds watched by reference (model/evaluation/watched-references.ts) → their source. Each is told the
   * objects of its kind something references, once every other kind is synced and then whenever that set changes.
   */
  readonly referenceWatchers?: Readonly<Record<string, string>>;
  /**
   * How long a recomputation waits for newly referenced objects to be fetched (ms of the system clock), so that a
   * Gateway switched to another Secret is not first computed without it. Default 2000.
   */
  readonly referenceWaitMs?: number;
  /**
   * Work per step of a recomputation (a route is one unit, a Gateway one plus its routes; see
   * GatewayResolution.step). A larger recomputation goes on in further steps, each raised on the clock 1 ms
   * after the one before, so the event loop and other actors run (and take what it sent) in between. Default
   * FLUSH_STEP_BUDGET.
   */
  readonly flushStepBudget?: number;
}

/** About 10 ms of work at the benchmark's scale (docs/architecture.md): a full sync is some 40 steps. */
export const FLUSH_STEP_BUDGET = 500;
const FLUSH_STEP_DELAY_MS = 1;

interface ReferenceValidatorContext {
  readonly view: ResourceView;
  readonly resolution: GatewayResolution;
  readonly expectedKinds: readonly string[];
  readonly syncedKinds: Set<string>;
  /** Policies whose problems as written were reported: an empty report withdraws them once fixed or deleted. */
  readonly policiesWithProblems: Set<string>;
  readonly flushDelayMs: number;
  flushScheduled: boolean;
  /** Logical time of the latest change: the time recomputed conditions carry. */
  lastChangeTime: number;
  readonly referenceWatchers: Readonly<Record<string, string>>;
  /** Per watched kind, the referenced set last sent (ids), so only changes are sent. */
  readonly referencesSent: Map<string, ReadonlySet<string>>;
  /** Referenced objects sent to their source and not yet fetched: recomputation waits for them (bounded). */
  readonly referencesPending: Set<string>;
  readonly referenceWaitMs: number;
  /** A flush is waiting for pending references (and the overdue timer is set). */
  flushHeld: boolean;
  /** A change touched a dependency of a watched kind since the referenced sets were last computed. */
  referencesTouched: boolean;
  readonly flushStepBudget: number;
  /** The flush came while a recomputation was still under way: it starts once that one is finished. */
  flushQueued: boolean;
}

interface StepEnqueue {
  emit(outgoing: Outgoing): void;
  raise(event: ReferenceValidatorMessage, options: { delay: number; id: string }): void;
}

function runFlushStep(context: ReferenceValidatorContext, enqueue: StepEnqueue): void {
  const { messages, done } = context.resolution.step(context.flushStepBudget);
  // One message per patcher for the step's statuses, and one intent for all of them (XState's queue of emitted
  // events is quadratic in their number).
  const requests = batchStatuses(messages);
  if (requests.length > 0) enqueue.emit(batch(requests));
  if (!done) {
    // 1 ms, Node's shortest timer anyway: on a VirtualClock a zero delay would fire within the same `advance`,
    // back to back with this step, and the event loop would not run in between.
    enqueue.raise({ type: 'validator.flush-step' } as ReferenceValidatorMessage, {
      delay: FLUSH_STEP_DELAY_MS,
      id: 'flush-step',
    });
  } else if (context.flushQueued) {
    context.flushQueued = false;
    enqueue.raise({ type: 'validator.flush' } as ReferenceValidatorMessage, { delay: 0, id: 'flush' });
  }
}

/** The changes an event records: one, many (`resources.changed`), or none (any other event). */
function changesOf(event: ReferenceValidatorMessage): readonly ResourceChange[] {
  if (event.type === 'resource.changed') return [event];
  return event.type === 'resources.changed' ? event.changes : [];
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
      const changes = changesOf(event);
      if (changes.length === 0) return;
      const watched = (key: { kind: string }) => context.referenceWatchers[key.kind] !== undefined;
      for (const change of changes) {
        const before = context.resolution.changed(
          change.key,
          change.dependsOn,
          change.deleted,
          change.lookupKeys,
        );
        if (!context.referencesTouched)
          context.referencesTouched = before.some(watched) || change.dependsOn.some(watched);
      }
      context.lastChangeTime = Math.max(context.lastChangeTime, event.meta.time);
    },
    announceReferences: enqueueActions(({ context, enqueue }) => {
      if (!context.referencesTouched) return;
      // The referenced set is whole only once everything that can reference is listed.
      const watchedKinds = Object.keys(context.referenceWatchers);
      const others = context.expectedKinds.filter((kind) => !watchedKinds.includes(kind));
      if (!others.every((kind) => context.syncedKinds.has(kind))) return;
      context.referencesTouched = false;
      for (const [kind, source] of Object.entries(context.referenceWatchers)) {
        const keys = context.resolution.index.dependencies((key) => isFetchableReference(key, kind));
        const ids = new Set(keys.map(formatResourceKey));
        const before = context.referencesSent.get(kind);
        // A kind nothing waits to sync (discovery documents) is told nothing until something is wanted.
        if (before === undefined && ids.size === 0 && !context.expectedKinds.includes(kind)) continue;
        if (before !== undefined && before.size === ids.size && [...ids].every((id) => before.has(id)))
          continue;
        for (const id of ids) if (before === undefined || !before.has(id)) context.referencesPending.add(id);
        for (const id of before ?? []) if (!ids.has(id)) context.referencesPending.delete(id);
        context.referencesSent.set(kind, ids);
        enqueue.emit(deliverTo(source, { type: 'references.wanted', kind, keys }));
      }
    }),
    recordFetched: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'references.fetched') return;
      for (const key of event.keys) context.referencesPending.delete(formatResourceKey(key));
      if (context.referencesPending.size > 0 || !context.flushHeld) return;
      context.flushHeld = false;
      enqueue.cancel('references-overdue');
      enqueue.raise({ type: 'validator.flush' } as ReferenceValidatorMessage, { delay: 0, id: 'flush' });
    }),
    // Fetching takes too long (the API server is failing): compute with what is there; the objects' arrival
    // recomputes what uses them as any change does.
    referencesOverdue: enqueueActions(({ context, enqueue }) => {
      context.referencesPending.clear();
      if (!context.flushHeld) return;
      context.flushHeld = false;
      enqueue.raise({ type: 'validator.flush' } as ReferenceValidatorMessage, { delay: 0, id: 'flush' });
    }),
    recordRefusals: ({ context, event }) => {
      if (event.type !== 'data-plane.routes-refused') return;
      if (context.resolution.dataPlaneRefused(event.gateway, event.refusals))
        context.lastChangeTime = Math.max(context.lastChangeTime, event.meta.time);
    },
    recordSynced: ({ context, event }) => {
      if (event.type !== 'kinds.synced') return;
      for (const kind of event.kinds) context.syncedKinds.add(kind);
      context.lastChangeTime = Math.max(context.lastChangeTime, event.meta.time);
    },
    // What is wrong with a policy as written (a selector that can select nothing), said in the log as it changes:
    // a policy with no other target has no status ancestor to say it on (GEP-713: an empty list means the policy
    // is relevant to nothing), and Envoy Gateway says nothing at all.
    // No problems (fixed, or deleted) after some were reported: the report withdraws them.
    reportPolicyProblems: enqueueActions(({ context, event, enqueue }) => {
      for (const change of changesOf(event)) {
        if (!isPolicyKind(change.key.kind)) continue;
        const rules = policyKindRules(change.key.kind);
        const policy = change.deleted
          ? undefined
          : context.view.get(change.key.kind, change.key.namespace, change.key.name);
        const problems =
          rules === undefined || policy === undefined
            ? []
            : policyProblemsAsWritten(policy as EnvoyGatewayPolicy, rules);
        const id = formatResourceKey(change.key);
        if (problems.length > 0) context.policiesWithProblems.add(id);
        else if (!context.policiesWithProblems.delete(id)) continue;
        enqueue.emit(effectRequest('report-policy-problems', { key: change.key, problems }));
      }
    }),
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
      if (context.referencesPending.size > 0) {
        // Held (flushScheduled stays set: changes meanwhile join this flush) until the fetches are in.
        if (!context.flushHeld) {
          context.flushHeld = true;
          enqueue.raise({ type: 'validator.references-overdue' } as ReferenceValidatorMessage, {
            delay: context.referenceWaitMs,
            id: 'references-overdue',
          });
        }
        return;
      }
      if (context.resolution.flushing) {
        // flushScheduled stays set: changes meanwhile join the queued flush instead of scheduling more.
        context.flushQueued = true;
        return;
      }
      context.flushScheduled = false;
      context.resolution.begin(rfc3339(context.lastChangeTime));
      runFlushStep(context, enqueue);
    }),
    // One step of the recomputation; the next one is raised on the clock, so the event loop and the other actors
    // get their turn (and what this step sent is taken) before it.
    flushStep: enqueueActions(({ context, enqueue }) => runFlushStep(context, enqueue)),
  },
}).createMachine({
  id: 'reference-validator',
  context: ({ input }) => ({
    view: input.view,
    resolution: new GatewayResolution(input.view, input.controllerName, {
      ...(input.gatewayClassFinalizer === undefined
        ? {}
        : { gatewayClassFinalizer: input.gatewayClassFinalizer }),
      ...(input.hostDataPlane === true ? { hostDataPlane: true } : {}),
      ...(input.oidcDiscovery === undefined ? {} : { oidcDiscovery: input.oidcDiscovery }),
    }),
    expectedKinds: input.expectedKinds,
    syncedKinds: new Set(),
    policiesWithProblems: new Set(),
    flushDelayMs: input.flushDelayMs,
    flushScheduled: false,
    lastChangeTime: 0,
    referenceWatchers: input.referenceWatchers ?? {},
    referencesSent: new Map(),
    referencesPending: new Set(),
    referenceWaitMs: input.referenceWaitMs ?? 2_000,
    flushHeld: false,
    // The first set is sent even when nothing references anything: it is what lets those sources sync.
    referencesTouched: true,
    flushStepBudget: input.flushStepBudget ?? FLUSH_STEP_BUDGET,
    flushQueued: false,
  }),
  initial: 'syncing',
  on: {
    'object.rejected': { actions: 'reportRejection' },
    'references.fetched': { actions: 'recordFetched' },
    'validator.references-overdue': { actions: 'referencesOverdue' },
  },
  states: {
    syncing: {
      always: { guard: 'allKindsSynced', target: 'resolving', actions: 'scheduleFlush' },
      on: {
        'resource.changed': { actions: ['recordChange', 'reportPolicyProblems', 'announceReferences'] },
        'resources.changed': { actions: ['recordChange', 'reportPolicyProblems', 'announceReferences'] },
        'data-plane.routes-refused': { actions: 'recordRefusals' },
        'kinds.synced': { actions: ['recordSynced', 'announceReferences'] },
      },
    },
    resolving: {
      tags: ['ready'],
      on: {
        'resource.changed': { actions: ['recordChange', 'reportPolicyProblems', 'scheduleFlush'] },
        'resources.changed': { actions: ['recordChange', 'reportPolicyProblems', 'scheduleFlush'] },
        'data-plane.routes-refused': { actions: ['recordRefusals', 'scheduleFlush'] },
        'kinds.synced': { actions: 'recordSynced' },
        // New references are sent to their sources before the statuses that need them are computed.
        'validator.flush': { actions: ['announceReferences', 'flush'] },
        'validator.flush-step': { actions: 'flushStep' },
      },
    },
  },
});
