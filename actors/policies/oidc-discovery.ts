// OpenID Connect discovery (SecurityPolicy `oidc` without both endpoints): a fetched reference (actors/shared/
// fetched-references.ts) of kind OIDCDiscovery, one per issuer the policies need. Each fetch is a GET of
// `<issuer>/.well-known/openid-configuration` through the `fetch-discovery` port (bounded by a timeout there); the
// verdict is kept in the discovery store the policies' evaluation reads (model/policies/oidc-discovery.ts). Every
// `refreshMs` each document is fetched again (a provider that moved its endpoints, or came back after failing); a
// document read before keeps serving while fetches fail. Without `refreshMs` (translate, replay) each is fetched
// once. The AI Gateway's OIDC token exchanges read the same documents (BackendSecurityPolicy `oidcExchangeToken`):
// the access token actor is one of the `dependents` told when a document changes.
import { CLUSTER_POLICY_CONTEXT, type PolicyContext } from '../../model/policies/attachment.ts';
import {
  discoveryRequest,
  discoveryVerdict,
  isDiscoveryKey,
  OIDC_DISCOVERY_KIND,
  type OidcDiscoveryDocument,
  type OidcDiscoveryRequest,
  type OidcDiscoveryResponse,
  type OidcDiscoveryStore,
} from '../../model/policies/oidc-discovery.ts';
import { resolvePolicyBackend } from '../../model/policies/policy-backends.ts';
import type { SecurityPolicy } from '../../model/resources/envoy-gateway-policies.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import { type FetchedReferencesMessage, fetchedReferencesSpec } from '../shared/fetched-references.ts';
import { OIDC_DISCOVERY } from './messages.ts';

export const FETCH_DISCOVERY = 'fetch-discovery';

export interface OidcDiscoveryInput {
  readonly view: ResourceView;
  readonly store: OidcDiscoveryStore;
  readonly context?: PolicyContext;
  /** Fetch every wanted document again this often (ms of the system clock); absent or 0: never. */
  readonly refreshMs?: number;
  /** The actors whose references require discovery documents, told when one changes (the access tokens'). */
  readonly dependents?: readonly string[];
}

export type FetchDiscoveryPort = (request: OidcDiscoveryRequest) => Promise<OidcDiscoveryResponse>;

export function oidcDiscoverySpec(
  input: OidcDiscoveryInput,
  fetchDiscovery: FetchDiscoveryPort,
): ActorSpec<FetchedReferencesMessage> {
  const { view, store } = input;
  const policyContext = input.context ?? CLUSTER_POLICY_CONTEXT;
  const refreshMs = input.refreshMs ?? 0;
  return fetchedReferencesSpec<OidcDiscoveryRequest, OidcDiscoveryResponse, OidcDiscoveryDocument>(
    {
      name: OIDC_DISCOVERY,
      kind: OIDC_DISCOVERY_KIND,
      effect: FETCH_DISCOVERY,
      isKey: isDiscoveryKey,
      prepare: (key) => ({
        request: discoveryRequest(key.name, view.list('SecurityPolicy'), (policy: SecurityPolicy) => {
          const provider = policy.spec?.oidc?.provider;
          if ((provider?.backendRefs?.length ?? 0) === 0 && provider?.backendRef === undefined)
            return undefined;
          const resolved = resolvePolicyBackend(policy, provider, view, 'spec.oidc.provider', policyContext);
          return resolved.ok ? resolved.value : undefined;
        }),
      }),
      verdict: (request, response) => {
        const entry = discoveryVerdict(request, response);
        // A document serves until another replaces it: a provider down for a moment does not take every route
        // it guards down with it.
        return entry.ok ? { ok: true, value: entry.document, lifetimeMs: Infinity } : entry;
      },
      keep: (key, verdict) =>
        store.set(key.name, verdict.ok ? { ok: true, document: verdict.value } : verdict),
      forget: (key) => store.delete(key.name),
      ...(input.dependents === undefined ? {} : { dependents: input.dependents }),
      ...(refreshMs > 0 ? { renew: { afterMs: () => refreshMs, retryMs: refreshMs } } : {}),
    },
    ({ request }) => fetchDiscovery(request),
  );
}
