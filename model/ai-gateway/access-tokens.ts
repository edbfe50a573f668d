// BackendSecurityPolicy credentials that the controller exchanges for a short-lived access token, as Envoy AI
// Gateway's rotators do: GCPCredentials with a service-account key file (a JWT signed with the key, exchanged at the
// key's own `token_uri` for the cloud-platform scope) and AzureCredentials with a client secret (the client
// credentials grant at the Entra ID authority for the Cognitive Services scope) or with `oidcExchangeToken` (a
// token from an OIDC provider, oidc-client.ts, given to Entra ID as the client assertion of a federated
// credential for the same scope); GCPCredentials with `workloadIdentityFederationConfig` (a token from an OIDC
// provider exchanged at Google's STS for the workload identity pool provider's audience, then, when a service
// account is impersonated, for that account's token at IAM Credentials); AWSCredentials with `oidcExchangeToken` (a
// token from an OIDC provider given to AWS STS AssumeRoleWithWebIdentity; the temporary credentials, kept as a
// shared credentials file, are the policy's token: aws-oidc.ts). The control plane fetches the
// tokens (actors/ai-gateway/access-tokens.ts through cli/access-token-port.ts) and renews each 5 minutes before it
// expires; these are the pure parts: which policies need a token, the dependency that asks for it, what a fetch
// needs from the policy's Secret, and the verdicts the policies' evaluation reads — as the Secret Envoy AI
// Gateway's rotator keeps (`ai-eg-bsp-<policy>` in the policy's namespace), seen through `withAccessTokens`.
import { createHash } from 'node:crypto';
import type { OidcDiscoveryView } from '../policies/oidc-discovery.ts';
import type { BackendSecurityPolicy, BackendSecurityPolicySpec } from '../resources/ai-gateway.ts';
import type { AnyResource, KindName, ResourcesByKind } from '../resources/kinds.ts';
import { type ResourceKey, resourceKey, SWITCHYARD_GROUP } from '../resources/resource-key.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { type AwsOidcRequest, awsOidcRequest } from './aws-oidc.ts';
import { type FederationRequest, federationRequest } from './gcp-federation.ts';
import { type AwaitingDiscovery, type OidcClient, oidcClient } from './oidc-client.ts';
import { readPolicySecret } from './policy-secrets.ts';

/** The kind of a policy's dependency on its access token (never stored; the token actor answers for it). */
export const ACCESS_TOKEN_KIND = 'BackendAccessToken';
/** Envoy AI Gateway's scopes. */
export const GCP_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
export const AZURE_SCOPE = 'https://cognitiveservices.azure.com/.default';
/** Entra ID's public cloud; `AZURE_AUTHORITY_HOST` names another (as the Azure SDKs read it). */
export const DEFAULT_AZURE_AUTHORITY_HOST = 'https://login.microsoftonline.com/';
/** Envoy AI Gateway's pre-rotation window: a token is renewed this long before it expires. */
export const PRE_ROTATION_MS = 5 * 60_000;
/** Envoy AI Gateway's retry after a failed rotation. */
export const RETRY_MS = 60_000;
/** Envoy AI Gateway's Secret keys: the service-account key file, the Azure client secret. */
export const GCP_SERVICE_ACCOUNT_KEY = 'service_account.json';
export const AZURE_CLIENT_SECRET_KEY = 'client-secret';

const TOKEN_SECRET_PREFIX = 'ai-eg-bsp-';
const FOR_ANNOTATION = 'switchyard.dev/access-token-for';
const ERROR_ANNOTATION = 'switchyard.dev/access-token-error';

/** What a policy's credentials are exchanged for, when the controller fetches a token for it. */
export type TokenGrant =
  | 'gcp-service-account'
  | 'gcp-workload-identity'
  | 'azure-client-secret'
  | 'azure-oidc'
  | 'aws-oidc';

export function tokenGrantOf(spec: Partial<BackendSecurityPolicySpec> | undefined): TokenGrant | undefined {
  if (spec?.type === 'GCPCredentials') {
    // Exactly one of them, as Envoy AI Gateway's CRD says (both: refused by the policy's evaluation).
    const gcp = spec.gcpCredentials;
    const federation = gcp?.workloadIdentityFederationConfig;
    if (gcp?.credentialsFile !== undefined && federation === undefined) return 'gcp-service-account';
    if (federation !== undefined && gcp?.credentialsFile === undefined) return 'gcp-workload-identity';
    return undefined;
  }
  if (spec?.type === 'AWSCredentials') {
    // Exactly one of them (both: refused by the policy's evaluation); a credentials file needs no token.
    const aws = spec.awsCredentials;
    return aws?.oidcExchangeToken !== undefined && aws.credentialsFile === undefined ? 'aws-oidc' : undefined;
  }
  if (spec?.type !== 'AzureCredentials') return undefined;
  const azure = spec.azureCredentials;
  // Exactly one of them, as Envoy AI Gateway's CRD says (both: refused by the policy's evaluation).
  if (azure?.clientSecretRef !== undefined && azure.oidcExchangeToken === undefined)
    return 'azure-client-secret';
  if (azure?.oidcExchangeToken !== undefined && azure.clientSecretRef === undefined) return 'azure-oidc';
  return undefined;
}

/** The fields a token is fetched for: a token fetched for other values is not used. */
export function tokenFingerprint(spec: Partial<BackendSecurityPolicySpec>): string {
  const inputs =
    spec.type === 'GCPCredentials'
      ? {
          type: spec.type,
          file: spec.gcpCredentials?.credentialsFile,
          federation: spec.gcpCredentials?.workloadIdentityFederationConfig,
        }
      : spec.type === 'AWSCredentials'
        ? {
            type: spec.type,
            region: spec.awsCredentials?.region,
            oidc: spec.awsCredentials?.oidcExchangeToken,
          }
        : {
            type: spec.type,
            clientID: spec.azureCredentials?.clientID,
            tenantID: spec.azureCredentials?.tenantID,
            secret: spec.azureCredentials?.clientSecretRef,
            oidc: spec.azureCredentials?.oidcExchangeToken,
          };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

/** A policy's dependency on its token (name `<policy>#<fingerprint>`): a changed policy asks for a new one. */
export function accessTokenKey(
  namespace: string,
  name: string,
  spec: Partial<BackendSecurityPolicySpec>,
): ResourceKey | undefined {
  if (tokenGrantOf(spec) === undefined) return undefined;
  return resourceKey(SWITCHYARD_GROUP, ACCESS_TOKEN_KIND, namespace, `${name}#${tokenFingerprint(spec)}`);
}

export function isAccessTokenKey(key: ResourceKey): boolean {
  return key.group === SWITCHYARD_GROUP && key.kind === ACCESS_TOKEN_KIND && key.name.includes('#');
}

/** The policy a token key is for. */
export function policyOfTokenKey(key: ResourceKey): { namespace: string; name: string } {
  return { namespace: key.namespace ?? '', name: key.name.slice(0, key.name.lastIndexOf('#')) };
}

/** One token fetch, with the secret material read from the policy's Secret. */
export type AccessTokenRequest =
  | { readonly grant: 'gcp-service-account'; readonly serviceAccountKey: string }
  | FederationRequest
  | AwsOidcRequest
  | {
      readonly grant: 'azure-client-secret';
      readonly tenantID: string;
      readonly clientID: string;
      readonly clientSecret: string;
    }
  | {
      readonly grant: 'azure-oidc';
      readonly tenantID: string;
      readonly clientID: string;
      readonly oidc: OidcClient;
    };

/** A token and how long it lasts, or why there is none (the token endpoint's answer, or the transport's). */
export type AccessTokenResponse =
  | { readonly accessToken: string; readonly expiresInMs: number }
  | { readonly error: string };

/**
 * The request for a policy (reading its Secret, and for an `oidcExchangeToken` its issuer's discovery document), or
 * why none can be made — said in the policy's status — or that the discovery document is still being read.
 */
export function accessTokenRequest(
  policy: BackendSecurityPolicy,
  view: ResourceView,
  discovery: OidcDiscoveryView,
): AccessTokenRequest | AwaitingDiscovery | { readonly error: string } {
  const spec = policy.spec ?? ({} as Partial<BackendSecurityPolicySpec>);
  const read = (ref: { name?: unknown; namespace?: unknown } | undefined, field: string, key: string) => {
    const secret = readPolicySecret(policy, view, ref, field, key);
    return 'value' in secret ? secret : { error: secret.message };
  };
  if (tokenGrantOf(spec) === 'gcp-service-account') {
    const file = spec.gcpCredentials?.credentialsFile as { secretRef?: { name?: unknown } } | undefined;
    const text = read(
      file?.secretRef,
      'spec.gcpCredentials.credentialsFile.secretRef',
      GCP_SERVICE_ACCOUNT_KEY,
    );
    if ('error' in text) return text;
    return { grant: 'gcp-service-account', serviceAccountKey: text.value };
  }
  if (tokenGrantOf(spec) === 'gcp-workload-identity') return federationRequest(policy, view, discovery);
  if (tokenGrantOf(spec) === 'aws-oidc') return awsOidcRequest(policy, view, discovery);
  const azure = spec.azureCredentials ?? {};
  const given = (value: unknown) => typeof value === 'string' && value !== '';
  if (!given(azure.clientID)) return { error: 'spec.azureCredentials.clientID: required' };
  if (!given(azure.tenantID)) return { error: 'spec.azureCredentials.tenantID: required' };
  if (tokenGrantOf(spec) === 'azure-oidc') {
    const field = 'spec.azureCredentials.oidcExchangeToken';
    const oidc = oidcClient(policy, view, discovery, azure.oidcExchangeToken, field);
    if (!('clientID' in oidc)) return oidc;
    return {
      grant: 'azure-oidc',
      tenantID: azure.tenantID as string,
      clientID: azure.clientID as string,
      oidc,
    };
  }
  const secret = read(
    azure.clientSecretRef as { name?: unknown } | undefined,
    'spec.azureCredentials.clientSecretRef',
    AZURE_CLIENT_SECRET_KEY,
  );
  if ('error' in secret) return secret;
  return {
    grant: 'azure-client-secret',
    tenantID: azure.tenantID as string,
    clientID: azure.clientID as string,
    clientSecret: secret.value,
  };
}

/** A policy's token as last fetched (for the fingerprint it was fetched for), or why the fetch failed. */
export type AccessTokenEntry = { readonly fingerprint: string } & (
  | { readonly ok: true; readonly accessToken: string; readonly expiresAt: string }
  | { readonly ok: false; readonly error: string }
);

/** The tokens, written by the token actor alone and read by the reference validator (one thread). */
export class AccessTokenStore {
  readonly #entries = new Map<string, AccessTokenEntry>();

  get(namespace: string, name: string): AccessTokenEntry | undefined {
    return this.#entries.get(`${namespace}/${name}`);
  }

  /** Keeps an entry; true when it differs from the one kept before (the policy must be evaluated again). */
  set(namespace: string, name: string, entry: AccessTokenEntry): boolean {
    const id = `${namespace}/${name}`;
    const before = this.#entries.get(id);
    this.#entries.set(id, entry);
    return before === undefined || JSON.stringify(before) !== JSON.stringify(entry);
  }

  delete(namespace: string, name: string): void {
    this.#entries.delete(`${namespace}/${name}`);
  }
}

/** The name of the Secret holding a policy's token (Envoy AI Gateway's rotator's name). */
export function tokenSecretName(policyName: string): string {
  return `${TOKEN_SECRET_PREFIX}${policyName}`;
}

/**
 * The view with each policy's token as the Secret Envoy AI Gateway's rotator keeps (`ai-eg-bsp-<policy>`: the token
 * under `accessToken`, the fingerprint and any error in annotations), over any object of that name.
 */
export function withAccessTokens(view: ResourceView, tokens: AccessTokenStore): ResourceView {
  return {
    get<K extends KindName>(kind: K, namespace: string | undefined, name: string) {
      if (kind === 'Secret' && name.startsWith(TOKEN_SECRET_PREFIX)) {
        const entry = tokens.get(namespace ?? '', name.slice(TOKEN_SECRET_PREFIX.length));
        if (entry !== undefined) return tokenSecret(namespace ?? '', name, entry) as ResourcesByKind[K];
      }
      return view.get(kind, namespace, name);
    },
    list: (kind, namespace) => view.list(kind, namespace),
    endpointSlicesOf: (namespace, serviceName) => view.endpointSlicesOf(namespace, serviceName),
  };
}

function tokenSecret(namespace: string, name: string, entry: AccessTokenEntry): AnyResource {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      annotations: {
        [FOR_ANNOTATION]: entry.fingerprint,
        ...(entry.ok ? { 'rotators/expiration-time': entry.expiresAt } : { [ERROR_ANNOTATION]: entry.error }),
      },
    },
    ...(entry.ok ? { stringData: { accessToken: entry.accessToken } } : {}),
  } as AnyResource;
}

/** The policy's token from the view, or why there is none (naming the token endpoint's error). */
export function policyAccessToken(
  policy: BackendSecurityPolicy,
  view: ResourceView,
): { readonly accessToken: string } | { readonly error: string } {
  const spec = policy.spec ?? ({} as Partial<BackendSecurityPolicySpec>);
  const secret = view.get('Secret', policy.metadata?.namespace ?? '', tokenSecretName(policy.metadata.name));
  const annotations = secret?.metadata?.annotations ?? {};
  if (secret === undefined || annotations[FOR_ANNOTATION] !== tokenFingerprint(spec))
    return { error: 'the access token has not been fetched yet' };
  const error = annotations[ERROR_ANNOTATION];
  if (error !== undefined) return { error };
  const token = secret.stringData?.accessToken;
  return typeof token === 'string' && token !== ''
    ? { accessToken: token }
    : { error: 'the access token has not been fetched yet' };
}
