// Access tokens for BackendSecurityPolicies of type GCPCredentials (service-account key) and AzureCredentials
// (client secret), as Envoy AI Gateway's rotators keep them: the reference validator says which policies need one
// (`references.wanted`, kind BackendAccessToken, from the policies' dependencies) and holds its first
// recomputation until they are fetched; this actor reads each policy's Secret, fetches a token through its
// `fetch-access-token` port (cli/access-token-port.ts), keeps the verdict in the store the policies' evaluation
// reads (model/ai-gateway/access-tokens.ts) and announces a verdict that changed, so the backends' credentials in
// the ext_proc configuration and the policies' statuses follow. Each token is fetched again 5 minutes before it
// expires (half its life if it lives less than 10); a failed fetch is retried after `retryMs`, and the token held
// keeps serving until it expires — after that the policy is NotAccepted and its backends' requests are refused
// with the token endpoint's error, never sent unauthenticated.
import { enqueueActions, setup } from 'xstate';
import {
  ACCESS_TOKEN_KIND,
  type AccessTokenRequest,
  type AccessTokenResponse,
  type AccessTokenStore,
  accessTokenRequest,
  isAccessTokenKey,
  PRE_ROTATION_MS,
  policyOfTokenKey,
  RETRY_MS,
} from '../../model/ai-gateway/access-tokens.ts';
import type { ReferencesWanted } from '../../model/evaluation/watched-references.ts';
import type { BackendSecurityPolicy } from '../../model/resources/ai-gateway.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import type { ActorSpec } from '../../runtime/Actor.ts';
import type { Message } from '../../runtime/message.ts';
import { deliverTo, type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import { REFERENCE_VALIDATOR } from '../reference-validator/messages.ts';

export const ACCESS_TOKENS = 'resolver.access-tokens';
export const FETCH_ACCESS_TOKEN = 'fetch-access-token';

/** Raised on the clock when a token is due for renewal (or a failed fetch for a retry). */
export interface AccessTokenRefresh extends Message<'access-token.refresh'> {
  readonly id: string;
  /** When it fires (system clock ms): a raised event carries no meta. */
  readonly at: number;
}

export interface AccessTokensInput {
  readonly view: ResourceView;
  readonly store: AccessTokenStore;
  /** The wait after a failed fetch (ms); Envoy AI Gateway's minute by default. */
  readonly retryMs?: number;
  /** Renew tokens before they expire and retry failed fetches (the controller); absent (translate, replay): once. */
  readonly renew?: boolean;
}

/** One fetch: the dependency it answers and what to send. */
export interface AccessTokenFetch {
  readonly key: ResourceKey;
  readonly request: AccessTokenRequest;
}

interface Held {
  readonly fingerprint: string;
  /** When the token held expires (system clock ms). */
  readonly expiresAt: number;
}

interface AccessTokensContext {
  readonly view: ResourceView;
  readonly store: AccessTokenStore;
  readonly retryMs: number;
  readonly renew: boolean;
  /** The tokens the policies need now, by formatted key. */
  wanted: Map<string, ResourceKey>;
  inFlight: Set<string>;
  again: Set<string>;
  held: Map<string, Held>;
  fetches: number;
}

type AccessTokensMessage = ReferencesWanted | EffectReply | AccessTokenRefresh;

type Enqueue = {
  emit: (intent: Outgoing) => void;
  raise: (event: AccessTokenRefresh, options: { delay: number; id: string }) => void;
  cancel: (id: string) => void;
};

/** When to fetch a token again: 5 minutes before it expires, or at half its life when it is shorter. */
export function renewalDelayMs(expiresInMs: number): number {
  return Math.max(1_000, expiresInMs - Math.min(PRE_ROTATION_MS, expiresInMs / 2));
}

function fingerprintOf(key: ResourceKey): string {
  return key.name.slice(key.name.lastIndexOf('#') + 1);
}

function fetchToken(context: AccessTokensContext, id: string, now: number, enqueue: Enqueue): void {
  const key = context.wanted.get(id);
  if (key === undefined) return;
  if (context.inFlight.has(id)) {
    context.again.add(id);
    return;
  }
  const policyRef = policyOfTokenKey(key);
  const policy = context.view.get('BackendSecurityPolicy', policyRef.namespace, policyRef.name) as
    | BackendSecurityPolicy
    | undefined;
  const request =
    policy === undefined ? { error: 'the policy is gone' } : accessTokenRequest(policy, context.view);
  if ('error' in request) {
    // Nothing to send (a Secret missing or incomplete): said now, tried again later.
    record(context, key, { error: request.error }, now, enqueue);
    return;
  }
  context.inFlight.add(id);
  context.fetches++;
  enqueue.emit(effectRequest(FETCH_ACCESS_TOKEN, { key, request } satisfies AccessTokenFetch));
}

/** Keeps what a fetch brought, tells the reference validator when it changed, and schedules the next fetch. */
function record(
  context: AccessTokensContext,
  key: ResourceKey,
  response: AccessTokenResponse,
  now: number,
  enqueue: Enqueue,
): void {
  const id = formatResourceKey(key);
  const policy = policyOfTokenKey(key);
  const fingerprint = fingerprintOf(key);
  let changed: boolean;
  let next: number;
  if ('accessToken' in response) {
    const expiresAt = now + response.expiresInMs;
    context.held.set(id, { fingerprint, expiresAt });
    changed = context.store.set(policy.namespace, policy.name, {
      fingerprint,
      ok: true,
      accessToken: response.accessToken,
      expiresAt: new Date(expiresAt).toISOString(),
    });
    next = renewalDelayMs(response.expiresInMs);
  } else {
    const held = context.held.get(id);
    if (held !== undefined && held.expiresAt > now) {
      // The token held still works: keep it until it expires, retrying meanwhile.
      changed = false;
      next = Math.min(context.retryMs, held.expiresAt - now);
    } else {
      context.held.delete(id);
      changed = context.store.set(policy.namespace, policy.name, {
        fingerprint,
        ok: false,
        error: response.error,
      });
      next = context.retryMs;
    }
  }
  if (changed) {
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
  if (context.renew)
    enqueue.raise({ type: 'access-token.refresh', id, at: now + next } as AccessTokenRefresh, {
      delay: next,
      id,
    });
}

export const accessTokensMachine = setup({
  types: {
    input: {} as AccessTokensInput,
    context: {} as AccessTokensContext,
    events: {} as AccessTokensMessage,
    emitted: {} as Outgoing,
  },
  actions: {
    follow: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'references.wanted' || event.kind !== ACCESS_TOKEN_KIND) return;
      const wanted = new Map(
        event.keys.filter(isAccessTokenKey).map((key) => [formatResourceKey(key), key] as const),
      );
      const queue = enqueue as unknown as Enqueue;
      for (const [id, key] of context.wanted) {
        if (wanted.has(id)) continue;
        queue.cancel(id);
        context.held.delete(id);
        const policy = policyOfTokenKey(key);
        // The policy's entry goes unless the policy now wants a token for another fingerprint.
        if (![...wanted.values()].some((other) => formatResourceKey(other) !== id && samePolicy(other, key)))
          context.store.delete(policy.namespace, policy.name);
      }
      const added = [...wanted.keys()].filter((id) => !context.wanted.has(id));
      context.wanted = wanted;
      for (const id of added) fetchToken(context, id, event.meta.time, queue);
    }),
    record: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'effect.done' && event.type !== 'effect.failed') return;
      if (event.effect !== FETCH_ACCESS_TOKEN) return;
      const { key } = event.request as AccessTokenFetch;
      const id = formatResourceKey(key);
      context.inFlight.delete(id);
      if (!context.wanted.has(id)) return;
      const queue = enqueue as unknown as Enqueue;
      const response: AccessTokenResponse =
        event.type === 'effect.done' ? (event.result as AccessTokenResponse) : { error: event.error };
      record(context, key, response, event.meta.time, queue);
      if (context.again.delete(id)) fetchToken(context, id, event.meta.time, queue);
    }),
    refresh: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'access-token.refresh') return;
      fetchToken(context, event.id, event.at, enqueue as unknown as Enqueue);
    }),
  },
}).createMachine({
  id: 'access-tokens',
  context: ({ input }) => ({
    view: input.view,
    store: input.store,
    retryMs: input.retryMs ?? RETRY_MS,
    renew: input.renew === true,
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
        'access-token.refresh': { actions: 'refresh' },
      },
    },
  },
});

function samePolicy(a: ResourceKey, b: ResourceKey): boolean {
  const x = policyOfTokenKey(a);
  const y = policyOfTokenKey(b);
  return x.namespace === y.namespace && x.name === y.name;
}

export type FetchAccessTokenPort = (fetch: AccessTokenFetch) => Promise<AccessTokenResponse>;

export function accessTokensSpec(
  input: AccessTokensInput,
  fetchAccessToken: FetchAccessTokenPort,
): ActorSpec<AccessTokensMessage> {
  return {
    name: ACCESS_TOKENS,
    machine: accessTokensMachine,
    input,
    mailbox: {
      capacity: 64,
      // Only the latest set of wanted tokens matters.
      coalesceBy: (message) => (message.type === 'references.wanted' ? message.type : message.meta.id),
    },
    effects: { [FETCH_ACCESS_TOKEN]: fetchAccessToken },
  };
}
