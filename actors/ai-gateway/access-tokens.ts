// Access tokens for BackendSecurityPolicies of type GCPCredentials (service-account key) and AzureCredentials
// (client secret), as Envoy AI Gateway's rotators keep them: a fetched reference (actors/shared/
// fetched-references.ts) of kind BackendAccessToken, wanted by the policies' dependencies. Each fetch reads the
// policy's Secret and goes through the `fetch-access-token` port (cli/access-token-port.ts); the verdict is kept in
// the store the policies' evaluation reads (model/ai-gateway/access-tokens.ts), so the backends' credentials in the
// ext_proc configuration and the policies' statuses follow. Each token is fetched again 5 minutes before it
// expires (half its life if it lives less than 10); a failed fetch is retried after `retryMs`, and the token held
// keeps serving until it expires — after that the policy is NotAccepted and its backends' requests are refused
// with the token endpoint's error, never sent unauthenticated. A token from an OIDC provider (`oidcExchangeToken`)
// requires the provider's discovery document, read from the discovery actor's store (`discovery`): a token waits
// for its first reading, and is fetched again when it changes (a moved token endpoint), never reading it itself.
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
import { oidcIssuerOf } from '../../model/ai-gateway/oidc-client.ts';
import { discoveryKey, type OidcDiscoveryView } from '../../model/policies/oidc-discovery.ts';
import type { BackendSecurityPolicy } from '../../model/resources/ai-gateway.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import {
  type FetchedReferencesMessage,
  fetchedReferencesSpec,
  type ReferenceFetch,
} from '../shared/fetched-references.ts';

export const ACCESS_TOKENS = 'resolver.access-tokens';
export const FETCH_ACCESS_TOKEN = 'fetch-access-token';

export interface AccessTokensInput {
  readonly view: ResourceView;
  readonly store: AccessTokenStore;
  /** The OIDC discovery documents, as the discovery actor keeps them. */
  readonly discovery: OidcDiscoveryView;
  /** The wait after a failed fetch (ms); Envoy AI Gateway's minute by default. */
  readonly retryMs?: number;
  /** Renew tokens before they expire and retry failed fetches (the controller); absent (translate, replay): once. */
  readonly renew?: boolean;
}

/** One fetch: the dependency it answers and what to send. */
export type AccessTokenFetch = ReferenceFetch<AccessTokenRequest>;

/** When to fetch a token again: 5 minutes before it expires, or at half its life when it is shorter. */
export function renewalDelayMs(expiresInMs: number): number {
  return Math.max(1_000, expiresInMs - Math.min(PRE_ROTATION_MS, expiresInMs / 2));
}

function fingerprintOf(key: ResourceKey): string {
  return key.name.slice(key.name.lastIndexOf('#') + 1);
}

function samePolicy(a: ResourceKey, b: ResourceKey): boolean {
  const x = policyOfTokenKey(a);
  const y = policyOfTokenKey(b);
  return x.namespace === y.namespace && x.name === y.name;
}

export type FetchAccessTokenPort = (fetch: AccessTokenFetch) => Promise<AccessTokenResponse>;

export function accessTokensSpec(
  input: AccessTokensInput,
  fetchAccessToken: FetchAccessTokenPort,
): ActorSpec<FetchedReferencesMessage> {
  const { view, store, discovery } = input;
  const policyOf = (key: ResourceKey) => {
    const ref = policyOfTokenKey(key);
    return view.get('BackendSecurityPolicy', ref.namespace, ref.name) as BackendSecurityPolicy | undefined;
  };
  return fetchedReferencesSpec<AccessTokenRequest, AccessTokenResponse, string>(
    {
      name: ACCESS_TOKENS,
      kind: ACCESS_TOKEN_KIND,
      effect: FETCH_ACCESS_TOKEN,
      isKey: isAccessTokenKey,
      prepare: (key) => {
        const policy = policyOf(key);
        if (policy === undefined) return { error: 'the policy is gone' };
        const request = accessTokenRequest(policy, view, discovery);
        return 'error' in request || 'awaiting' in request ? request : { request };
      },
      requires: (key) => {
        const issuer = oidcIssuerOf(policyOf(key)?.spec);
        return issuer === undefined ? [] : [discoveryKey(issuer)];
      },
      verdict: (_request, response) =>
        'accessToken' in response
          ? { ok: true, value: response.accessToken, lifetimeMs: response.expiresInMs }
          : { ok: false, error: response.error },
      keep: (key, verdict, now) => {
        const policy = policyOfTokenKey(key);
        const fingerprint = fingerprintOf(key);
        return store.set(
          policy.namespace,
          policy.name,
          verdict.ok
            ? {
                fingerprint,
                ok: true,
                accessToken: verdict.value,
                expiresAt: new Date(now + verdict.lifetimeMs).toISOString(),
              }
            : { fingerprint, ok: false, error: verdict.error },
        );
      },
      forget: (key, wanted) => {
        // The policy's entry goes unless the policy now wants a token for another fingerprint.
        const id = formatResourceKey(key);
        if (wanted.some((other) => formatResourceKey(other) !== id && samePolicy(other, key))) return;
        const policy = policyOfTokenKey(key);
        store.delete(policy.namespace, policy.name);
      },
      ...(input.renew === true
        ? { renew: { afterMs: renewalDelayMs, retryMs: input.retryMs ?? RETRY_MS } }
        : {}),
    },
    fetchAccessToken,
  );
}
