// The OIDC client a BackendSecurityPolicy's `oidcExchangeToken` names — Azure's `azureCredentials.oidcExchangeToken`,
// GCP's `gcpCredentials.workloadIdentityFederationConfig.oidcExchangeToken`, AWS's `awsCredentials.oidcExchangeToken`
// — read as Envoy AI Gateway's OIDC token provider reads Envoy Gateway's `OIDC` type: the provider's issuer (its
// discovery document is always read, as go-oidc reads it) and optional token endpoint, the client's ID, its secret
// (key `client-secret` of the Secret `clientSecret` names) and the scopes asked for. The issuer's discovery
// document is a dependency of the policy, fetched by the control plane's discovery actor and read here from its
// store (model/policies/oidc-discovery.ts), once per issuer however many policies and token renewals use it; here
// it is checked (its `issuer` must be the one configured, as go-oidc checks it) and gives the token endpoint (unless
// one is given) and the scopes the provider supports (added to those asked for). The controller obtains a token
// from that provider with the client credentials grant (cli/token-http.ts) and exchanges it with the cloud
// (access-tokens.ts). Differences from Envoy AI Gateway: a `clientSecret` without a namespace is read in the
// policy's namespace (Envoy AI Gateway refuses it), and one in another namespace needs a ReferenceGrant there, as
// every Secret a policy names.
import { discoveryUrl, type OidcDiscoveryView } from '../policies/oidc-discovery.ts';
import type { BackendSecurityPolicy, BackendSecurityPolicySpec } from '../resources/ai-gateway.ts';
import type { SecretObjectReference } from '../resources/gateway-api.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { readPolicySecret } from './policy-secrets.ts';

/** Envoy AI Gateway's key of the OIDC client secret. */
export const OIDC_CLIENT_SECRET_KEY = 'client-secret';

/** What the controller needs to obtain a token from the OIDC provider. */
export interface OidcClient {
  readonly issuer: string;
  /** The provider's token endpoint when given; else its discovery document's. */
  readonly tokenEndpoint: string;
  readonly clientID: string;
  readonly clientSecret: string;
  /** The scopes asked for, then the provider's `scopes_supported` not asked for (as Envoy AI Gateway adds them). */
  readonly scopes: readonly string[];
}

/** Nothing can be asked yet: the issuer's discovery document has not been read (it is being fetched). */
export interface AwaitingDiscovery {
  readonly awaiting: string;
}

type Fields = Record<string, unknown>;

/** The Secret of an `oidcExchangeToken`'s client (a dependency of the policy), if it names one. */
export function oidcClientSecretRef(exchange: unknown): SecretObjectReference | undefined {
  const ref = ((exchange as { oidc?: { clientSecret?: unknown } } | undefined)?.oidc?.clientSecret ??
    undefined) as SecretObjectReference | undefined;
  return typeof ref?.name === 'string' ? ref : undefined;
}

/** The `oidcExchangeToken` of a policy's credentials, for its type's cloud. */
export function oidcExchangeOf(spec: Partial<BackendSecurityPolicySpec> | undefined): unknown {
  if (spec?.type === 'AzureCredentials') return spec.azureCredentials?.oidcExchangeToken;
  if (spec?.type === 'AWSCredentials') return spec.awsCredentials?.oidcExchangeToken;
  if (spec?.type !== 'GCPCredentials') return undefined;
  const federation = spec.gcpCredentials?.workloadIdentityFederationConfig as
    | { oidcExchangeToken?: unknown }
    | undefined;
  return federation?.oidcExchangeToken;
}

/** The issuer whose discovery document a policy's token needs (a dependency of the policy), if any. */
export function oidcIssuerOf(spec: Partial<BackendSecurityPolicySpec> | undefined): string | undefined {
  const issuer = (oidcExchangeOf(spec) as { oidc?: { provider?: { issuer?: unknown } } } | undefined)?.oidc
    ?.provider?.issuer;
  return isUrl(issuer) ? (issuer as string) : undefined;
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

/**
 * The OIDC client of an `oidcExchangeToken` (at `field`), its secret read from its Secret and its token endpoint
 * and scopes completed from the issuer's discovery document; or why not (naming the field, or the discovery step);
 * or that the document has not been read yet.
 */
export function oidcClient(
  policy: BackendSecurityPolicy,
  view: ResourceView,
  discovery: OidcDiscoveryView,
  exchange: unknown,
  field: string,
): OidcClient | AwaitingDiscovery | { readonly error: string } {
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
  const issuer = provider.issuer as string;
  const where = discoveryUrl(issuer);
  const entry = discovery.get(issuer);
  if (entry === undefined) return { awaiting: `OIDC discovery ${where}` };
  if (!entry.ok) return { error: `OIDC discovery: ${entry.error}` };
  const document = entry.document;
  if (document.issuer !== issuer)
    return {
      error: `OIDC discovery: ${where}: its issuer is ${JSON.stringify(document.issuer ?? null)}, not ${JSON.stringify(issuer)}`,
    };
  const asked = (oidc.scopes as string[] | undefined) ?? [];
  const supported = (document.scopesSupported ?? []).filter((scope) => !asked.includes(scope));
  return {
    issuer,
    tokenEndpoint:
      typeof provider.tokenEndpoint === 'string' ? provider.tokenEndpoint : document.tokenEndpoint,
    clientID: oidc.clientID as string,
    clientSecret: secret.value,
    scopes: [...asked, ...supported],
  };
}
