// OpenID Connect discovery for SecurityPolicy `oidc` (as Envoy Gateway does it): a provider given without its
// authorization or token endpoint has them read from `<issuer>/.well-known/openid-configuration`. The control
// plane fetches the document (actors/policies/oidc-discovery.ts); these are the pure parts: which issuers need
// it, how a fetch is made (the CA of the provider's backend is trusted, as Envoy Gateway uses its TLS settings),
// what an answer means, and where the verdicts are kept for the policies' evaluation to read.
import type { PolicyDestinationIR } from '../ir/policies.ts';
import type { SecurityPolicy } from '../resources/envoy-gateway-policies.ts';
import { type ResourceKey, resourceKey, SWITCHYARD_GROUP } from '../resources/resource-key.ts';

/** The kind of the dependency a policy that needs discovery has on its issuer's document (never stored). */
export const OIDC_DISCOVERY_KIND = 'OIDCDiscovery';

/** The dependency on an issuer's discovery document: what the reference validator asks the discovery actor for. */
export function discoveryKey(issuer: string): ResourceKey {
  return resourceKey(SWITCHYARD_GROUP, OIDC_DISCOVERY_KIND, '', issuer);
}

export function isDiscoveryKey(key: ResourceKey): boolean {
  return key.group === SWITCHYARD_GROUP && key.kind === OIDC_DISCOVERY_KIND && key.name !== '';
}

/** Envoy Gateway's path, appended to the issuer without its terminating `/` (OpenID Connect Discovery 1.0 §4). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/** The issuer whose discovery document a policy needs: it has `oidc` without both endpoints. */
export function issuerNeedingDiscovery(policy: SecurityPolicy): string | undefined {
  const provider = policy.spec?.oidc?.provider;
  if (provider === undefined || provider === null || typeof provider.issuer !== 'string') return undefined;
  const given = (value: unknown) => typeof value === 'string' && value !== '';
  if (given(provider.authorizationEndpoint) && given(provider.tokenEndpoint)) return undefined;
  return provider.issuer;
}

export interface OidcDiscoveryDocument {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly endSessionEndpoint?: string;
  /** The issuer the document says it is for (checked by the users that require it: go-oidc's check). */
  readonly issuer?: string;
  /** The scopes the provider supports (added by the AI Gateway's OIDC token exchanges to those asked for). */
  readonly scopesSupported?: readonly string[];
}

/** An issuer's document, or why there is none (said in the policy's status). */
export type OidcDiscoveryEntry =
  | { readonly ok: true; readonly document: OidcDiscoveryDocument }
  | { readonly ok: false; readonly error: string };

/** What the policies' evaluation reads: the last verdict per issuer, undefined before the first fetch ends. */
export interface OidcDiscoveryView {
  get(issuer: string): OidcDiscoveryEntry | undefined;
}

/** The verdicts, written by the discovery actor alone and read by the reference validator (one thread). */
export class OidcDiscoveryStore implements OidcDiscoveryView {
  readonly #entries = new Map<string, OidcDiscoveryEntry>();

  get(issuer: string): OidcDiscoveryEntry | undefined {
    return this.#entries.get(issuer);
  }

  /**
   * Keeps a verdict; true when it differs from the one kept before (the policies using it must be recomputed). A
   * failed fetch does not replace a document read before: the filter keeps enforcing with the endpoints it had,
   * and a provider down for a moment does not take every route it guards down with it.
   */
  set(issuer: string, entry: OidcDiscoveryEntry): boolean {
    const before = this.#entries.get(issuer);
    if (!entry.ok && before?.ok === true) return false;
    this.#entries.set(issuer, entry);
    return before === undefined || JSON.stringify(before) !== JSON.stringify(entry);
  }

  delete(issuer: string): void {
    this.#entries.delete(issuer);
  }
}

/** One fetch of a discovery document: the URL, and a CA bundle trusted besides the system's. */
export interface OidcDiscoveryRequest {
  readonly issuer: string;
  readonly url: string;
  readonly caBundle?: string;
}

/** What a fetch came back with: the status and body, or why nothing came back (timeout, refused, TLS). */
export type OidcDiscoveryResponse =
  | { readonly status: number; readonly body: string }
  | { readonly error: string };

/**
 * The request for an issuer: the CA bundle of the first provider backend with TLS among the policies naming the
 * issuer (resolved by `destinationOf`, the policy's `provider` backend) — Envoy Gateway's "the issuer URL uses
 * the same CA as the token endpoint".
 */
export function discoveryRequest(
  issuer: string,
  policies: readonly SecurityPolicy[],
  destinationOf: (policy: SecurityPolicy) => PolicyDestinationIR | undefined,
): OidcDiscoveryRequest {
  for (const policy of policies) {
    if (issuerNeedingDiscovery(policy) !== issuer) continue;
    const destination = destinationOf(policy);
    if (destination?.kind !== 'backends') continue;
    for (const backend of destination.backends) {
      const caBundle =
        backend.kind === 'Backend'
          ? typeof backend.tls?.verify === 'object'
            ? backend.tls.verify.caBundle
            : undefined
          : backend.kind === 'Service'
            ? backend.tls?.caBundle
            : undefined;
      if (caBundle !== undefined) return { issuer, url: discoveryUrl(issuer), caBundle };
    }
  }
  return { issuer, url: discoveryUrl(issuer) };
}

const MAX_ERROR_BODY = 120;

/** The verdict on a fetch: the endpoints of a 200 whose JSON names both, else why not (naming the URL). */
export function discoveryVerdict(
  request: OidcDiscoveryRequest,
  response: OidcDiscoveryResponse,
): OidcDiscoveryEntry {
  const where = `${request.url}`;
  if ('error' in response) return { ok: false, error: `fetching ${where} failed: ${response.error}` };
  if (response.status !== 200) {
    const body = response.body.trim().slice(0, MAX_ERROR_BODY);
    return {
      ok: false,
      error: `fetching ${where} answered HTTP ${response.status}${body === '' ? '' : ` (${body})`}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    return { ok: false, error: `${where} is not JSON` };
  }
  const document = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const url = (name: string): string | undefined | false => {
    const value = document[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' || !/^https?:\/\/[^/?#]+/.test(value)) return false;
    return value;
  };
  const authorizationEndpoint = url('authorization_endpoint');
  const tokenEndpoint = url('token_endpoint');
  const endSessionEndpoint = url('end_session_endpoint');
  for (const [name, value] of [
    ['authorization_endpoint', authorizationEndpoint],
    ['token_endpoint', tokenEndpoint],
  ] as const) {
    if (value === undefined) return { ok: false, error: `${where} has no ${name}` };
    if (value === false) return { ok: false, error: `${where}: ${name} is not an http(s) URL` };
  }
  const scopes = Array.isArray(document.scopes_supported)
    ? document.scopes_supported.filter((scope): scope is string => typeof scope === 'string')
    : undefined;
  return {
    ok: true,
    document: {
      authorizationEndpoint: authorizationEndpoint as string,
      tokenEndpoint: tokenEndpoint as string,
      ...(typeof endSessionEndpoint === 'string' ? { endSessionEndpoint } : {}),
      ...(typeof document.issuer === 'string' ? { issuer: document.issuer } : {}),
      ...(scopes === undefined ? {} : { scopesSupported: scopes }),
    },
  };
}
