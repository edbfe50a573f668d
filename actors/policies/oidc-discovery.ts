// OpenID Connect discovery (SecurityPolicy `oidc` without both endpoints): the reference validator says which
// issuers' documents the policies need (`references.wanted`, kind OIDCDiscovery, as it tells the Kubernetes
// sources which Secrets to watch, and holds its first recomputation until they are read); this actor fetches each
// `<issuer>/.well-known/openid-configuration` through its `fetch-discovery` port (bounded by a timeout there),
// keeps the verdict in the discovery store the policies' evaluation reads (model/policies/oidc-discovery.ts), and
// announces a verdict that changed so the policies using it are recomputed. Every `refreshMs` it fetches them all
// again (a provider that moved its endpoints, or came back after failing); without `refreshMs` (translate,
// replay) each is fetched once.
import { enqueueActions, setup } from 'xstate';
import type { ReferencesWanted } from '../../model/evaluation/watched-references.ts';
import { CLUSTER_POLICY_CONTEXT, type PolicyContext } from '../../model/policies/attachment.ts';
import {
  discoveryKey,
  discoveryRequest,
  discoveryVerdict,
  isDiscoveryKey,
  OIDC_DISCOVERY_KIND,
  type OidcDiscoveryRequest,
  type OidcDiscoveryResponse,
  type OidcDiscoveryStore,
} from '../../model/policies/oidc-discovery.ts';
import { resolvePolicyBackend } from '../../model/policies/policy-backends.ts';
import type { SecurityPolicy } from '../../model/resources/envoy-gateway-policies.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import type { ActorSpec } from '../../runtime/Actor.ts';
import { deliverTo, type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import { REFERENCE_VALIDATOR } from '../reference-validator/messages.ts';
import { OIDC_DISCOVERY, type OidcDiscoveryRefresh } from './messages.ts';

export const FETCH_DISCOVERY = 'fetch-discovery';

export interface OidcDiscoveryInput {
  readonly view: ResourceView;
  readonly store: OidcDiscoveryStore;
  readonly context?: PolicyContext;
  /** Fetch every wanted document again this often (ms of the system clock); absent or 0: never. */
  readonly refreshMs?: number;
}

interface OidcDiscoveryContext {
  readonly view: ResourceView;
  readonly store: OidcDiscoveryStore;
  readonly policyContext: PolicyContext;
  readonly refreshMs: number;
  /** The issuers the policies need now. */
  wanted: Set<string>;
  /** Issuers being fetched; those in `again` are fetched once more when that fetch ends. */
  inFlight: Set<string>;
  again: Set<string>;
  refreshScheduled: boolean;
  fetches: number;
}

type OidcDiscoveryMessage = ReferencesWanted | EffectReply | OidcDiscoveryRefresh;

type Enqueue = { emit: (intent: Outgoing) => void; raise: (...args: never[]) => void };

function fetchDocument(context: OidcDiscoveryContext, issuer: string, emit: (intent: Outgoing) => void) {
  if (context.inFlight.has(issuer)) {
    context.again.add(issuer);
    return;
  }
  context.inFlight.add(issuer);
  context.fetches++;
  const request = discoveryRequest(issuer, context.view.list('SecurityPolicy'), (policy: SecurityPolicy) => {
    const provider = policy.spec?.oidc?.provider;
    if ((provider?.backendRefs?.length ?? 0) === 0 && provider?.backendRef === undefined) return undefined;
    const resolved = resolvePolicyBackend(
      policy,
      provider,
      context.view,
      'spec.oidc.provider',
      context.policyContext,
    );
    return resolved.ok ? resolved.value : undefined;
  });
  emit(effectRequest(FETCH_DISCOVERY, request));
}

export const oidcDiscoveryMachine = setup({
  types: {
    input: {} as OidcDiscoveryInput,
    context: {} as OidcDiscoveryContext,
    events: {} as OidcDiscoveryMessage,
    emitted: {} as Outgoing,
  },
  actions: {
    follow: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'references.wanted' || event.kind !== OIDC_DISCOVERY_KIND) return;
      const wanted = new Set(event.keys.filter(isDiscoveryKey).map((key) => key.name));
      for (const issuer of context.wanted) if (!wanted.has(issuer)) context.store.delete(issuer);
      const added = [...wanted].filter((issuer) => !context.wanted.has(issuer));
      context.wanted = wanted;
      for (const issuer of added) fetchDocument(context, issuer, (intent) => enqueue.emit(intent));
      scheduleRefresh(context, enqueue as unknown as Enqueue);
    }),
    record: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'effect.done' && event.type !== 'effect.failed') return;
      if (event.effect !== FETCH_DISCOVERY) return;
      const request = event.request as OidcDiscoveryRequest;
      const issuer = request.issuer;
      context.inFlight.delete(issuer);
      if (!context.wanted.has(issuer)) return;
      const response: OidcDiscoveryResponse =
        event.type === 'effect.done' ? (event.result as OidcDiscoveryResponse) : { error: event.error };
      const key = discoveryKey(issuer);
      if (context.store.set(issuer, discoveryVerdict(request, response))) {
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
      if (context.again.delete(issuer)) fetchDocument(context, issuer, (intent) => enqueue.emit(intent));
    }),
    refresh: enqueueActions(({ context, enqueue }) => {
      context.refreshScheduled = false;
      for (const issuer of context.wanted) fetchDocument(context, issuer, (intent) => enqueue.emit(intent));
      scheduleRefresh(context, enqueue as unknown as Enqueue);
    }),
  },
}).createMachine({
  id: 'oidc-discovery',
  context: ({ input }) => ({
    view: input.view,
    store: input.store,
    policyContext: input.context ?? CLUSTER_POLICY_CONTEXT,
    refreshMs: input.refreshMs ?? 0,
    wanted: new Set(),
    inFlight: new Set(),
    again: new Set(),
    refreshScheduled: false,
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
        'oidc-discovery.refresh': { actions: 'refresh' },
      },
    },
  },
});

/** One refresh timer for every wanted issuer, while any is wanted. */
function scheduleRefresh(context: OidcDiscoveryContext, enqueue: Enqueue): void {
  if (context.refreshMs <= 0 || context.refreshScheduled || context.wanted.size === 0) return;
  context.refreshScheduled = true;
  (enqueue.raise as (event: OidcDiscoveryRefresh, options: { delay: number; id: string }) => void)(
    { type: 'oidc-discovery.refresh' } as OidcDiscoveryRefresh,
    { delay: context.refreshMs, id: 'refresh' },
  );
}

export type FetchDiscoveryPort = (request: OidcDiscoveryRequest) => Promise<OidcDiscoveryResponse>;

export function oidcDiscoverySpec(
  input: OidcDiscoveryInput,
  fetchDiscovery: FetchDiscoveryPort,
): ActorSpec<OidcDiscoveryMessage> {
  return {
    name: OIDC_DISCOVERY,
    machine: oidcDiscoveryMachine,
    input,
    mailbox: {
      capacity: 64,
      // Only the latest set of wanted issuers matters.
      coalesceBy: (message) => (message.type === 'references.wanted' ? message.type : message.meta.id),
    },
    effects: { [FETCH_DISCOVERY]: fetchDiscovery },
  };
}
