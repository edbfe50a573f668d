// The OIDC client a BackendSecurityPolicy's `oidcExchangeToken` names — Azure's `azureCredentials.oidcExchangeToken`,
// GCP's `gcpCredentials.workloadIdentityFederationConfig.oidcExchangeToken` — read as Envoy AI Gateway's OIDC token
// provider reads Envoy Gateway's `OIDC` type: the provider's issuer (its discovery document is always read) and
// optional token endpoint, the client's ID, its secret (key `client-secret` of the Secret `clientSecret` names)
// and the scopes asked for. The controller obtains a token from that provider with the client credentials grant
// (cli/oidc-client-port.ts) and exchanges it with the cloud (access-tokens.ts). Differences from Envoy AI Gateway:
// a `clientSecret` without a namespace is read in the policy's namespace (Envoy AI Gateway refuses it), and one in
// another namespace needs a ReferenceGrant there, as every Secret a policy names.
import type { BackendSecurityPolicy } from '../resources/ai-gateway.ts';
import type { SecretObjectReference } from '../resources/gateway-api.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { readPolicySecret } from './policy-secrets.ts';

/** Envoy AI Gateway's key of the OIDC client secret. */
export const OIDC_CLIENT_SECRET_KEY = 'client-secret';

/** What the controller needs to obtain a token from the OIDC provider. */
export interface OidcClient {
  readonly issuer: string;
  /** The provider's token endpoint when given; else its discovery document's. */
  readonly tokenEndpoint?: string;
  readonly clientID: string;
  readonly clientSecret: string;
  /** The scopes asked for (the provider's `scopes_supported` are added, as Envoy AI Gateway adds them). */
  readonly scopes: readonly string[];
}

type Fields = Record<string, unknown>;

/** The Secret of an `oidcExchangeToken`'s client (a dependency of the policy), if it names one. */
export function oidcClientSecretRef(exchange: unknown): SecretObjectReference | undefined {
  const ref = ((exchange as { oidc?: { clientSecret?: unknown } } | undefined)?.oidc?.clientSecret ??
    undefined) as SecretObjectReference | undefined;
  return typeof ref?.name === 'string' ? ref : undefined;
}

const isUrl = (value: unknown) => typeof value === 'string' && /^https?:\/\/[^/?#]+/.test(value);

/** What is wrong with an `oidcExchangeToken` as written (at `field`), naming the field; undefined when nothing. */
export function oidcExchangeProblem(exchange: unknown, field: string): string | undefined {
  const oidc = ((exchange as Fields | undefined)?.oidc ?? undefined) as Fields | undefined;
  if (oidc === undefined || oidc === null || typeof oidc !== 'object') return `${field}.oidc: required`;
  const provider = (oidc.provider ?? {}) as Fields;
  if (!isUrl(provider.issuer)) return `${field}.oidc.provider.issuer: required, an http(s) URL`;
  if (provider.tokenEndpoint !== undefined && !isUrl(provider.tokenEndpoint))
    return `${field}.oidc.provider.tokenEndpoint: not an http(s) URL`;
  if (oidc.clientIDRef !== undefined) return `${field}.oidc.clientIDRef: not supported; use clientID`;
  if (typeof oidc.clientID !== 'string' || oidc.clientID === '') return `${field}.oidc.clientID: required`;
  const secret = oidc.clientSecret as Fields | undefined;
  if (typeof secret?.name !== 'string' || secret.name === '')
    return `${field}.oidc.clientSecret.name: required`;
  if (
    oidc.scopes !== undefined &&
    !(Array.isArray(oidc.scopes) && oidc.scopes.every((s) => typeof s === 'string'))
  )
    return `${field}.oidc.scopes: a list of strings`;
  return undefined;
}

/** The OIDC client of an `oidcExchangeToken` (at `field`), its secret read from its Secret, or why not. */
export function oidcClient(
  policy: BackendSecurityPolicy,
  view: ResourceView,
  exchange: unknown,
  field: string,
): OidcClient | { readonly error: string } {
  const problem = oidcExchangeProblem(exchange, field);
  if (problem !== undefined) return { error: problem };
  const oidc = (exchange as { oidc: Fields }).oidc;
  const provider = oidc.provider as Fields;
  const secret = readPolicySecret(
    policy,
    view,
    oidc.clientSecret as Fields,
    `${field}.oidc.clientSecret`,
    OIDC_CLIENT_SECRET_KEY,
  );
  if (!('value' in secret)) return { error: secret.message };
  return {
    issuer: provider.issuer as string,
    ...(typeof provider.tokenEndpoint === 'string' ? { tokenEndpoint: provider.tokenEndpoint } : {}),
    clientID: oidc.clientID as string,
    clientSecret: secret.value,
    scopes: (oidc.scopes as string[] | undefined) ?? [],
  };
}
