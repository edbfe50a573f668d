// BackendSecurityPolicy: which policies apply to an AIServiceBackend, and the credentials a policy gives the
// ext_proc service (API keys, an AWS shared credentials profile) read from Secrets (policy-secrets.ts),
// access tokens the controller fetched for GCP and Azure credentials (access-tokens.ts), or per request
// (`credentialOverride`: a header or Envoy dynamic metadata a trusted filter wrote).

import {
  AI_GATEWAY_GROUP,
  type AIServiceBackend,
  type BackendSecurityPolicy,
} from '../resources/ai-gateway.ts';
import type { SecretObjectReference } from '../resources/gateway-api.ts';
import { asArray } from '../shared/arrays.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { policyAccessToken } from './access-tokens.ts';
import { AWS_OIDC_FIELD, awsOidcProblem } from './aws-oidc.ts';
import type { ExtProcAuth, ExtProcCredentialOverride } from './extproc-config.ts';
import { federationProblem } from './gcp-federation.ts';
import { oidcExchangeProblem } from './oidc-client.ts';
import { readPolicySecret } from './policy-secrets.ts';
import type { Problem } from './statuses.ts';

/** The BackendSecurityPolicies that apply to a backend (by targetRefs, or by the v1alpha1 backendSecurityPolicyRef). */
export function policiesOf(backend: AIServiceBackend, view: ResourceView): BackendSecurityPolicy[] {
  const namespace = backend.metadata?.namespace ?? '';
  const byRef = backend.spec?.backendSecurityPolicyRef?.name;
  return (view.list('BackendSecurityPolicy', namespace) as BackendSecurityPolicy[])
    .filter(
      (policy) =>
        policy.metadata?.name === byRef ||
        asArray<{ group?: string; kind?: string; name?: string }>(policy.spec?.targetRefs).some(
          (t) =>
            t?.group === AI_GATEWAY_GROUP &&
            t?.kind === 'AIServiceBackend' &&
            t?.name === backend.metadata?.name,
        ),
    )
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

/** Envoy AI Gateway's default override header (AWS: prefix) and metadata key per policy type. */
const OVERRIDE_DEFAULTS: Readonly<Record<string, { header: string; key: string }>> = {
  APIKey: { header: 'x-aigw-api-key', key: 'x-aigw-api-key' },
  AzureAPIKey: { header: 'x-aigw-azure-api-key', key: 'x-aigw-azure-api-key' },
  AnthropicAPIKey: { header: 'x-aigw-anthropic-api-key', key: 'x-aigw-anthropic-api-key' },
  AWSCredentials: { header: 'x-aigw-aws-', key: 'x-aigw-aws-credentials' },
  AzureCredentials: { header: 'x-aigw-azure-access-token', key: 'x-aigw-azure-access-token' },
  GCPCredentials: { header: 'x-aigw-gcp-access-token', key: 'x-aigw-gcp-access-token' },
};

/** `spec.credentialOverride`: exactly one source; fallbackToConfigured defaults to true. */
function credentialOverride(policy: BackendSecurityPolicy): ExtProcCredentialOverride | Problem | undefined {
  const spec = policy.spec ?? {};
  const override = spec.credentialOverride;
  if (override === undefined || override === null) return undefined;
  const defaults = OVERRIDE_DEFAULTS[String(spec.type)];
  if (defaults === undefined) {
    return {
      reason: 'UnsupportedValue',
      message: `spec.credentialOverride: not supported for type ${String(spec.type)}`,
    };
  }
  const headers = override.fromRequestHeaders;
  const metadata = override.fromDynamicMetadata;
  if ((headers === undefined) === (metadata === undefined)) {
    return {
      reason: 'UnsupportedValue',
      message: 'spec.credentialOverride: set exactly one of fromRequestHeaders and fromDynamicMetadata',
    };
  }
  if (headers !== undefined) {
    const header =
      typeof headers.header === 'string' && headers.header !== '' ? headers.header : defaults.header;
    return { header: header.toLowerCase(), fallbackToConfigured: headers.fallbackToConfigured !== false };
  }
  if (typeof metadata?.namespace !== 'string' || metadata.namespace === '') {
    return {
      reason: 'UnsupportedValue',
      message: 'spec.credentialOverride.fromDynamicMetadata.namespace: required',
    };
  }
  return {
    metadata: {
      namespace: metadata.namespace,
      key: typeof metadata.key === 'string' && metadata.key !== '' ? metadata.key : defaults.key,
    },
    fallbackToConfigured: metadata.fallbackToConfigured !== false,
  };
}

/**
 * A policy's credentials, read from its Secret; with a per-request source and no fallback to them the configured
 * credentials may be left out.
 */
export function policyAuth(
  policy: BackendSecurityPolicy,
  view: ResourceView,
): { auth: ExtProcAuth } | (Problem & { auth?: ExtProcAuth }) {
  const spec = policy.spec ?? {};
  const override = credentialOverride(policy);
  if (override !== undefined && 'reason' in override) return override;
  const perRequestOnly = override !== undefined && !override.fallbackToConfigured;
  const withOverride = (auth: ExtProcAuth): { auth: ExtProcAuth } => ({
    auth: override === undefined ? auth : { ...auth, override },
  });
  const keyAuth = (
    holder: { secretRef?: SecretObjectReference } | undefined,
    field: string,
    make: (key: string | undefined) => ExtProcAuth,
  ): { auth: ExtProcAuth } | Problem => {
    if (holder?.secretRef === undefined) {
      if (perRequestOnly) return withOverride(make(undefined));
      return { reason: 'UnsupportedValue', message: `spec.${field}: required for type ${spec.type}` };
    }
    const key = secretValue(policy, view, holder.secretRef, `spec.${field}`, 'apiKey');
    return typeof key === 'string' ? withOverride(make(key)) : key;
  };
  const optionalKey = (key: string | undefined) => (key === undefined ? {} : { key });
  switch (spec.type) {
    case 'APIKey':
      return keyAuth(spec.apiKey, 'apiKey', (key) => ({ apiKey: optionalKey(key) }));
    case 'AzureAPIKey':
      return keyAuth(spec.azureAPIKey, 'azureAPIKey', (key) => ({ azureAPIKey: optionalKey(key) }));
    case 'AnthropicAPIKey':
      return keyAuth(spec.anthropicAPIKey, 'anthropicAPIKey', (key) => ({
        anthropicAPIKey: optionalKey(key),
      }));
    case 'AWSCredentials': {
      const aws = awsAuth(policy, view, perRequestOnly);
      return 'reason' in aws ? aws : withOverride(aws.auth);
    }
    case 'GCPCredentials': {
      const gcp = gcpAuth(policy, view);
      return 'reason' in gcp ? gcp : withOverride(gcp.auth);
    }
    case 'AzureCredentials': {
      const azure = azureAuth(policy, view);
      return 'reason' in azure ? azure : withOverride(azure.auth);
    }
    default:
      return {
        reason: 'UnsupportedValue',
        message: `spec.type: ${String(spec.type)} is not supported; use APIKey, AzureAPIKey, AnthropicAPIKey, AWSCredentials, GCPCredentials or AzureCredentials`,
      };
  }
}

/** The reason of a policy whose access token could not be fetched (the message names the token endpoint's error). */
export const TOKEN_UNAVAILABLE = 'AccessTokenUnavailable';

/** `gcpCredentials`: the model's location, and the token fetched with the key file or by workload identity federation. */
export function gcpAuth(
  policy: BackendSecurityPolicy,
  view: ResourceView,
): { auth: ExtProcAuth } | (Problem & { auth?: ExtProcAuth }) {
  const gcp = policy.spec?.gcpCredentials ?? {};
  if (gcp.isPassthrough === true)
    return {
      reason: 'UnsupportedValue',
      message:
        'spec.gcpCredentials.isPassthrough: not supported (the project and region come from the policy)',
    };
  for (const field of ['projectName', 'region'] as const) {
    if (typeof gcp[field] !== 'string' || gcp[field] === '')
      return { reason: 'UnsupportedValue', message: `spec.gcpCredentials.${field}: required` };
  }
  const location = { projectName: gcp.projectName as string, region: gcp.region as string };
  if (gcp.workloadIdentityFederationConfig !== undefined && gcp.credentialsFile !== undefined)
    return {
      reason: 'UnsupportedValue',
      message: 'spec.gcpCredentials: set exactly one of credentialsFile and workloadIdentityFederationConfig',
      auth: { unavailable: 'the GCP credentials are refused', gcp: location },
    };
  const federation =
    gcp.workloadIdentityFederationConfig === undefined
      ? undefined
      : federationProblem(gcp.workloadIdentityFederationConfig);
  if (federation !== undefined)
    return {
      reason: 'UnsupportedValue',
      message: federation,
      auth: { unavailable: 'the GCP credentials are refused', gcp: location },
    };
  if (gcp.credentialsFile === undefined && gcp.workloadIdentityFederationConfig === undefined)
    return {
      reason: 'UnsupportedValue',
      message:
        'spec.gcpCredentials: credentialsFile or workloadIdentityFederationConfig required (Application Default Credentials are not supported)',
      auth: { unavailable: 'Application Default Credentials are not supported', gcp: location },
    };
  const token = policyAccessToken(policy, view);
  if ('error' in token)
    return {
      reason: TOKEN_UNAVAILABLE,
      message: `no access token: ${token.error}`,
      auth: { unavailable: `no GCP access token: ${token.error}`, gcp: location },
    };
  return { auth: { gcp: { ...location, accessToken: token.accessToken } } };
}

/** `azureCredentials`: the Entra ID token fetched with the client secret or an OIDC token, sent as a bearer token. */
function azureAuth(policy: BackendSecurityPolicy, view: ResourceView): { auth: ExtProcAuth } | Problem {
  const azure = policy.spec?.azureCredentials ?? {};
  for (const field of ['clientID', 'tenantID'] as const) {
    if (typeof azure[field] !== 'string' || azure[field] === '')
      return { reason: 'UnsupportedValue', message: `spec.azureCredentials.${field}: required` };
  }
  if ((azure.clientSecretRef === undefined) === (azure.oidcExchangeToken === undefined))
    return {
      reason: 'UnsupportedValue',
      message: 'spec.azureCredentials: set exactly one of clientSecretRef and oidcExchangeToken',
    };
  if (azure.oidcExchangeToken !== undefined) {
    const problem = oidcExchangeProblem(azure.oidcExchangeToken, 'spec.azureCredentials.oidcExchangeToken');
    if (problem !== undefined) return { reason: 'UnsupportedValue', message: problem };
  }
  const token = policyAccessToken(policy, view);
  if ('error' in token) return { reason: TOKEN_UNAVAILABLE, message: `no access token: ${token.error}` };
  return { auth: { apiKey: { key: token.accessToken } } };
}

/** `awsCredentials`: a region and one profile of a shared credentials file held in a Secret. */
function awsAuth(
  policy: BackendSecurityPolicy,
  view: ResourceView,
  perRequestOnly: boolean,
): { auth: ExtProcAuth } | Problem {
  const aws = policy.spec?.awsCredentials;
  if (typeof aws?.region !== 'string' || aws.region === '')
    return { reason: 'UnsupportedValue', message: 'spec.awsCredentials.region: required' };
  if (aws.credentialsFile !== undefined && aws.oidcExchangeToken !== undefined)
    return {
      reason: 'UnsupportedValue',
      message: 'spec.awsCredentials: set at most one of credentialsFile and oidcExchangeToken',
    };
  let text: string | Problem;
  let field = 'spec.awsCredentials.credentialsFile';
  let profile = aws.credentialsFile?.profile ?? 'default';
  if (aws.oidcExchangeToken !== undefined) {
    // The temporary credentials STS issued, kept as a credentials file (aws-oidc.ts).
    const problem = awsOidcProblem(aws.oidcExchangeToken);
    if (problem !== undefined) return { reason: 'UnsupportedValue', message: problem };
    const token = policyAccessToken(policy, view);
    if ('error' in token) return { reason: TOKEN_UNAVAILABLE, message: `no access token: ${token.error}` };
    [text, field, profile] = [token.accessToken, AWS_OIDC_FIELD, 'default'];
  } else if (aws.credentialsFile === undefined) {
    if (perRequestOnly) return { auth: { aws: { region: aws.region } } };
    return {
      reason: 'UnsupportedValue',
      message:
        'spec.awsCredentials: credentialsFile or oidcExchangeToken required (the default chain is not supported; per-request credentials without fallback need none)',
    };
  } else text = secretValue(policy, view, aws.credentialsFile.secretRef, field, 'credentials');
  if (typeof text !== 'string') return text;
  const section = iniSection(text, profile);
  const accessKeyId = section.aws_access_key_id;
  const secretAccessKey = section.aws_secret_access_key;
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    return {
      reason: 'UnsupportedValue',
      message: `${field}: profile '${profile}' lacks aws_access_key_id or aws_secret_access_key`,
    };
  }
  const sessionToken = section.aws_session_token;
  return {
    auth: {
      aws: {
        region: aws.region,
        accessKeyId,
        secretAccessKey,
        ...(sessionToken === undefined ? {} : { sessionToken }),
      },
    },
  };
}

/** One key of the Secret a policy field names; a Problem naming the field when it cannot be read. */
function secretValue(
  policy: BackendSecurityPolicy,
  view: ResourceView,
  ref: SecretObjectReference | undefined,
  field: string,
  dataKey: string,
): string | Problem {
  const read = readPolicySecret(policy, view, ref, `${field}.secretRef`, dataKey);
  return 'value' in read ? read.value : read;
}

/** One profile of an AWS shared credentials file (INI). */
function iniSection(text: string, profile: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(?:profile\s+)?([^\]]+)\]$/.exec(line);
    if (header !== null) {
      current = header[1]!.trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (current === profile && eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}
