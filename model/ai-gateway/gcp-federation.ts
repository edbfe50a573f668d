// GCP workload identity federation (`gcpCredentials.workloadIdentityFederationConfig`), as Envoy AI Gateway's GCP
// OIDC token rotator does it: a token from the OIDC provider `oidcExchangeToken.oidc` names (oidc-client.ts) is
// exchanged at Google's Security Token Service (RFC 8693 token exchange, subject token type jwt) for the audience of
// the workload identity pool provider, `//iam.googleapis.com/projects/<projectID>/locations/global/
// workloadIdentityPools/<pool>/providers/<provider>`, scope `https://www.googleapis.com/auth/iam`; with
// `serviceAccountImpersonation`, that token then asks IAM Credentials' generateAccessToken for a cloud-platform
// token of `<serviceAccountName>@<projectName>.iam.gserviceaccount.com` (the policy's projectName, as Envoy AI
// Gateway names it). These are the pure parts: what is wrong with the configuration as written, and what a fetch
// needs (cli/token-http.ts makes the calls).

import type { OidcDiscoveryView } from '../policies/oidc-discovery.ts';
import type { BackendSecurityPolicy } from '../resources/ai-gateway.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { type AwaitingDiscovery, type OidcClient, oidcClient, oidcExchangeProblem } from './oidc-client.ts';

export const FEDERATION_FIELD = 'spec.gcpCredentials.workloadIdentityFederationConfig';

/** One exchange: the OIDC client, STS's audience, and the service account impersonated (its email), if any. */
export interface FederationRequest {
  readonly grant: 'gcp-workload-identity';
  readonly oidc: OidcClient;
  readonly audience: string;
  readonly serviceAccount?: string;
}

type Fields = Record<string, unknown>;
const given = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** What is wrong with `workloadIdentityFederationConfig` as written, naming the field; undefined when nothing. */
export function federationProblem(federation: unknown): string | undefined {
  if (typeof federation !== 'object' || federation === null) return `${FEDERATION_FIELD}: an object`;
  const config = federation as Fields;
  for (const field of ['projectID', 'workloadIdentityPoolName', 'workloadIdentityProviderName'])
    if (!given(config[field])) return `${FEDERATION_FIELD}.${field}: required`;
  const impersonation = config.serviceAccountImpersonation as Fields | undefined | null;
  if (impersonation !== undefined && impersonation !== null && !given(impersonation.serviceAccountName))
    return `${FEDERATION_FIELD}.serviceAccountImpersonation.serviceAccountName: required`;
  return oidcExchangeProblem(config.oidcExchangeToken, `${FEDERATION_FIELD}.oidcExchangeToken`);
}

/** The exchange for a policy, its OIDC client secret read from its Secret, or why none can be made. */
export function federationRequest(
  policy: BackendSecurityPolicy,
  view: ResourceView,
  discovery: OidcDiscoveryView,
): FederationRequest | AwaitingDiscovery | { readonly error: string } {
  const gcp = (policy.spec?.gcpCredentials ?? {}) as Fields;
  const federation = gcp.workloadIdentityFederationConfig;
  const problem = federationProblem(federation);
  if (problem !== undefined) return { error: problem };
  const config = federation as Fields;
  const oidc = oidcClient(
    policy,
    view,
    discovery,
    config.oidcExchangeToken,
    `${FEDERATION_FIELD}.oidcExchangeToken`,
  );
  if (!('clientID' in oidc)) return oidc;
  const audience = `//iam.googleapis.com/projects/${config.projectID}/locations/global/workloadIdentityPools/${config.workloadIdentityPoolName}/providers/${config.workloadIdentityProviderName}`;
  const account = (config.serviceAccountImpersonation as Fields | undefined)?.serviceAccountName;
  return {
    grant: 'gcp-workload-identity',
    oidc,
    audience,
    ...(given(account)
      ? { serviceAccount: `${account}@${String(gcp.projectName)}.iam.gserviceaccount.com` }
      : {}),
  };
}
