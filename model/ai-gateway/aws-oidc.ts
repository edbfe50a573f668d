// AWSCredentials with `oidcExchangeToken` (Envoy AI Gateway's AWSOIDCExchangeToken: the generic OIDC fields and
// `awsRoleArn`), as its AWS OIDC rotator does it: a token from the OIDC provider `oidc` names (oidc-client.ts) is
// given to AWS STS AssumeRoleWithWebIdentity for the role `awsRoleArn` with the session name
// `ai-gateway-<policy name>`; STS answers temporary credentials (an access key ID, a secret access key, a session
// token and their expiration), which the rotator keeps as a shared credentials file in the policy's token Secret
// and Bedrock requests are signed with (SigV4, the session token in `x-amz-security-token`). These are the pure
// parts: what is wrong with the configuration as written, what a fetch needs, and the credentials file kept as
// the policy's access token (cli/aws-sts-exchange.ts makes the calls).

import type { OidcDiscoveryView } from '../policies/oidc-discovery.ts';
import type { BackendSecurityPolicy } from '../resources/ai-gateway.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { type AwaitingDiscovery, type OidcClient, oidcClient, oidcExchangeProblem } from './oidc-client.ts';

export const AWS_OIDC_FIELD = 'spec.awsCredentials.oidcExchangeToken';

/** One exchange: the OIDC client, the role assumed, the session name and the region of STS's endpoint. */
export interface AwsOidcRequest {
  readonly grant: 'aws-oidc';
  readonly oidc: OidcClient;
  readonly roleArn: string;
  readonly sessionName: string;
  readonly region: string;
}

/** Temporary credentials as STS issued them. */
export interface AwsTemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

type Fields = Record<string, unknown>;

/** What is wrong with `awsCredentials.oidcExchangeToken` as written, naming the field; undefined when nothing. */
export function awsOidcProblem(exchange: unknown): string | undefined {
  if (typeof exchange !== 'object' || exchange === null) return `${AWS_OIDC_FIELD}: an object`;
  const roleArn = (exchange as Fields).awsRoleArn;
  if (typeof roleArn !== 'string' || roleArn === '') return `${AWS_OIDC_FIELD}.awsRoleArn: required`;
  return oidcExchangeProblem(exchange, AWS_OIDC_FIELD);
}

/** The exchange for a policy, its OIDC client secret read from its Secret, or why none can be made. */
export function awsOidcRequest(
  policy: BackendSecurityPolicy,
  view: ResourceView,
  discovery: OidcDiscoveryView,
): AwsOidcRequest | AwaitingDiscovery | { readonly error: string } {
  const aws = policy.spec?.awsCredentials;
  if (typeof aws?.region !== 'string' || aws.region === '')
    return { error: 'spec.awsCredentials.region: required' };
  const problem = awsOidcProblem(aws.oidcExchangeToken);
  if (problem !== undefined) return { error: problem };
  const oidc = oidcClient(policy, view, discovery, aws.oidcExchangeToken, AWS_OIDC_FIELD);
  if (!('clientID' in oidc)) return oidc;
  return {
    grant: 'aws-oidc',
    oidc,
    roleArn: (aws.oidcExchangeToken as Fields).awsRoleArn as string,
    sessionName: `ai-gateway-${policy.metadata.name}`,
    region: aws.region,
  };
}

/** The credentials as the shared credentials file the rotator keeps (profile `default`). */
export function credentialsFileOf(credentials: AwsTemporaryCredentials): string {
  return [
    '[default]',
    `aws_access_key_id = ${credentials.accessKeyId}`,
    `aws_secret_access_key = ${credentials.secretAccessKey}`,
    `aws_session_token = ${credentials.sessionToken}`,
    '',
  ].join('\n');
}
