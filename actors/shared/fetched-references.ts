// A fetched reference: something policies depend on that is no object of the API but is fetched from outside —
// an OpenID Connect discovery document (actors/policies/oidc-discovery.ts), a cloud access token
// (actors/ai-gateway/access-tokens.ts). The reference validator says which references of a kind the policies
// need now (`references.wanted`, as it tells the Kubernetes sources which Secrets to watch) and holds its first
// recomputation until each has been fetched once; this machine fetches each through its effect port, keeps the
// verdict in the store the policies' evaluation reads (through the user's `keep`), announces a verdict that
// changed (`resource.changed`, so the policies using it are recomputed) and every fetch that ended
// (`references.fetched`). With `renew`, each is fetched again when its user says (`renewAfterMs` of a value's
// lifetime: a token before it expires, a document every interval) and a failed fetch after `retryMs`; a value
// fetched before keeps serving through failed fetches until its lifetime ends, and only then is the failure
// kept. Without `renew` (translate, replay) each is fetched once.
// One reference may need another of another kind (a token from an OIDC provider needs the provider's discovery
// document): its kind says which (`requires`) and its `prepare` answers `awaiting` while that one has not been
// read; the other kind's actor tells the actors named in its `dependents` of every verdict that changed
// (`fetched-reference.changed`), and each reference requiring it is fetched then — so the document is fetched
// once, on its own schedule, however many references read it.
import { enqueueActions, setup } from 'xstate';
import type { ReferencesWanted } from '../../model/evaluation/watched-references.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import type { Message } from '../../runtime/message.ts';
import { deliverTo, type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import { REFERENCE_VALIDATOR } from '../reference-validator/messages.ts';

/** Raised on the clock when a reference is due to be fetched again. */
export interface FetchedReferenceRefresh extends Message<'fetched-reference.refresh'> {
  readonly id: string;
  /** When it fires (system clock ms): a raised event carries no meta. */
  readonly at: number;
}

/** Told by another kind's actor: the verdicts on these references of its kind changed. */
export interface FetchedReferenceChanged extends Message<'fetched-reference.changed'> {
  readonly keys: readonly ResourceKey[];
}

/** One fetch: the reference it answers and what the port sends. */
export interface ReferenceFetch<Request> {
  readonly key: ResourceKey;
  readonly request: Request;
}

/** What a fetch came to: a value and how long it serves (ms; Infinity: until replaced), or why there is none. */
export type FetchedValue<Value> =
  | { readonly ok: true; readonly value: Value; readonly lifetimeMs: number }
  | { readonly ok: false; readonly error: string };

/** What makes one kind of fetched reference. */
export interface FetchedReferenceKind<Request, Response, Value> {
  /** The actor's name, the reference kind it answers for (`references.wanted`) and its effect port's name. */
  readonly name: string;
  readonly kind: string;
  readonly effect: string;
  readonly isKey: (key: ResourceKey) => boolean;
  /**
   * What to send for a reference (reading the objects as they are now), or why nothing can be sent, or that a
   * reference it requires has not been read yet (it is fetched when that one's verdict arrives).
   */
  readonly prepare: (
    key: ResourceKey,
  ) => { readonly request: Request } | { readonly error: string } | { readonly awaiting: string };
  /** The references of other kinds a reference needs (fetched again when their verdicts change). */
  readonly requires?: (key: ResourceKey) => readonly ResourceKey[];
  /** The actors told of every verdict of this kind that changed (their kinds require this one). */
  readonly dependents?: readonly string[];
  /** The verdict on the port's answer (or on its failure, `{ error }`). */
  readonly verdict: (
    request: Request,
    response: Response | { readonly error: string },
  ) => FetchedValue<Value>;
  /** Keeps a verdict where the evaluation reads it (`now`: system clock ms); true when it differs from before. */
  readonly keep: (key: ResourceKey, verdict: FetchedValue<Value>, now: number) => boolean;
  /** Drops a reference no longer wanted (`wanted`: the references wanted now). */
  readonly forget: (key: ResourceKey, wanted: readonly ResourceKey[]) => void;
  /** Fetch again: when a value is due, from its lifetime, and after a failure (ms); absent: fetch each once. */
  readonly renew?: {
    readonly afterMs: (lifetimeMs: number) => number;
    readonly retryMs: number;
  };
}

type AnyKind = FetchedReferenceKind<unknown, unknown, unknown>;

interface FetchedReferencesContext {
  readonly of: AnyKind;
  /** The references wanted now, by formatted key. */
  wanted: Map<string, ResourceKey>;
  /** References being fetched; those in `again` are fetched once more when that fetch ends. */
  inFlight: Set<string>;
  again: Set<string>;
  /** When the value held for a reference stops serving (system clock ms). */
  held: Map<string, number>;
  fetches: number;
}

export type FetchedReferencesMessage =
  | ReferencesWanted
  | EffectReply
  | FetchedReferenceRefresh
  | FetchedReferenceChanged;

type Enqueue = {
  emit: (intent: Outgoing) => void;
  raise: (event: FetchedReferenceRefresh, options: { delay: number; id: string }) => void;
  cancel: (id: string) => void;
};

function fetchReference(context: FetchedReferencesContext, id: string, now: number, enqueue: Enqueue): void {
  const key = context.wanted.get(id);
  if (key === undefined) return;
  if (context.inFlight.has(id)) {
    context.again.add(id);
    return;
  }
  const prepared = context.of.prepare(key);
  // Fetched when what it requires is read (`fetched-reference.changed`).
  if ('awaiting' in prepared) return;
  if ('error' in prepared) {
    // Nothing to send (a Secret missing or incomplete): said now, tried again later.
    record(context, key, { ok: false, error: prepared.error }, now, enqueue);
    return;
  }
  context.inFlight.add(id);
  context.fetches++;
  enqueue.emit(
    effectRequest(context.of.effect, { key, request: prepared.request } satisfies ReferenceFetch<unknown>),
  );
}

/** Keeps what a fetch came to, tells the reference validator, and schedules the next fetch. */
function record(
  context: FetchedReferencesContext,
  key: ResourceKey,
  verdict: FetchedValue<unknown>,
  now: number,
  enqueue: Enqueue,
): void {
  const id = formatResourceKey(key);
  const renew = context.of.renew;
  let changed = false;
  let next: number | undefined;
  if (verdict.ok) {
    context.held.set(id, now + verdict.lifetimeMs);
    changed = context.of.keep(key, verdict, now);
    next = renew?.afterMs(verdict.lifetimeMs);
  } else {
    const until = context.held.get(id);
    if (until !== undefined && until > now) {
      // The value held still serves: kept until its lifetime ends, fetched again meanwhile.
      next = renew === undefined ? undefined : Math.min(renew.retryMs, until - now);
    } else {
      context.held.delete(id);
      changed = context.of.keep(key, verdict, now);
      next = renew?.retryMs;
    }
  }
  if (changed) {
    for (const dependent of context.of.dependents ?? [])
      enqueue.emit(deliverTo(dependent, { type: 'fetched-reference.changed', keys: [key] }));
    enqueue.emit(
      deliverTo(REFERENCE_VALIDATOR, {
        type: 'resource.changed',
        key,
        dependsOn: [],
        lookupKeys: [key],
        deleted: false,
      }),
    );
  }
  enqueue.emit(deliverTo(REFERENCE_VALIDATOR, { type: 'references.fetched', keys: [key] }));
  if (next !== undefined)
    enqueue.raise({ type: 'fetched-reference.refresh', id, at: now + next } as never, { delay: next, id });
}

export const fetchedReferencesMachine = setup({
  types: {
    input: {} as AnyKind,
    context: {} as FetchedReferencesContext,
    events: {} as FetchedReferencesMessage,
    emitted: {} as Outgoing,
  },
  actions: {
    follow: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'references.wanted' || event.kind !== context.of.kind) return;
      const wanted = new Map(
        event.keys.filter(context.of.isKey).map((key) => [formatResourceKey(key), key] as const),
      );
      const queue = enqueue as unknown as Enqueue;
      for (const [id, key] of context.wanted) {
        if (wanted.has(id)) continue;
        queue.cancel(id);
        context.held.delete(id);
        context.of.forget(key, [...wanted.values()]);
      }
      const added = [...wanted.keys()].filter((id) => !context.wanted.has(id));
      context.wanted = wanted;
      for (const id of added) fetchReference(context, id, event.meta.time, queue);
    }),
    record: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'effect.done' && event.type !== 'effect.failed') return;
      if (event.effect !== context.of.effect) return;
      const { key, request } = event.request as ReferenceFetch<unknown>;
      const id = formatResourceKey(key);
      context.inFlight.delete(id);
      if (!context.wanted.has(id)) return;
      const queue = enqueue as unknown as Enqueue;
      const response = event.type === 'effect.done' ? event.result : { error: event.error };
      record(context, key, context.of.verdict(request, response), event.meta.time, queue);
      if (context.again.delete(id)) fetchReference(context, id, event.meta.time, queue);
    }),
    // A reference of another kind changed: each wanted one requiring it is fetched again with it.
    required: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'fetched-reference.changed' || context.of.requires === undefined) return;
      const changed = new Set(event.keys.map(formatResourceKey));
      for (const [id, key] of context.wanted) {
        if (!context.of.requires(key).some((needed) => changed.has(formatResourceKey(needed)))) continue;
        // Its next fetch is this one (the fetch schedules the one after).
        enqueue.cancel(id);
        fetchReference(context, id, event.meta.time, enqueue as unknown as Enqueue);
      }
    }),
    refresh: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'fetched-reference.refresh') return;
      fetchReference(context, event.id, event.at, enqueue as unknown as Enqueue);
    }),
  },
}).createMachine({
  id: 'fetched-references',
  context: ({ input }) => ({
    of: input,
    wanted: new Map(),
    inFlight: new Set(),
    again: new Set(),
    held: new Map(),
    fetches: 0,
  }),
  initial: 'following',
  states: {
    following: {
      tags: ['ready'],
      on: {
        'references.wanted': { actions: 'follow' },
        'effect.done': { actions: 'record' },
        'effect.failed': { actions: 'record' },
        'fetched-reference.refresh': { actions: 'refresh' },
        'fetched-reference.changed': { actions: 'required' },
      },
    },
  },
});

/** The actor for one kind of fetched reference, fetching through `port`. */
export function fetchedReferencesSpec<Request, Response, Value>(
  of: FetchedReferenceKind<Request, Response, Value>,
  port: (fetch: ReferenceFetch<Request>) => Promise<Response>,
): ActorSpec<FetchedReferencesMessage> {
  return {
    name: of.name,
    machine: fetchedReferencesMachine,
    input: of as unknown as AnyKind,
    mailbox: {
      capacity: 64,
      // Only the latest set of wanted references matters.
      coalesceBy: (message) => (message.type === 'references.wanted' ? message.type : message.meta.id),
    },
    effects: { [of.effect]: port },
  };
}
