// AWSCredentials `oidcExchangeToken`'s calls (model/ai-gateway/aws-oidc.ts says what for), as Envoy AI Gateway's
// AWS OIDC rotator makes them through the AWS SDK for Go: the OIDC provider's token (cli/token-http.ts), then AWS
// STS AssumeRoleWithWebIdentity — an unsigned Query API call, `POST /` with the form `Action`, `Version`
// (2011-06-15), `RoleArn`, `RoleSessionName`, `WebIdentityToken` — whose XML answer holds the temporary
// credentials and their `Expiration`. STS is reached at the policy region's endpoint, `https://sts.<region>.
// amazonaws.com`, unless `AWS_ENDPOINT_URL_STS` (or else `AWS_ENDPOINT_URL`) names another, as the AWS SDKs read
// those settings (a VPC endpoint, a FIPS endpoint, an egress proxy).
import type { AccessTokenResponse } from '../model/ai-gateway/access-tokens.ts';
import { type AwsOidcRequest, credentialsFileOf } from '../model/ai-gateway/aws-oidc.ts';
import { oidcClientToken, post, xmlElement } from './token-http.ts';

const STS_VERSION = '2011-06-15';

/** STS's endpoint for a region: the environment's, as the AWS SDKs read it, else the regional one. */
export function stsEndpoint(region: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || `https://sts.${region}.amazonaws.com`;
}

export async function awsOidcCredentials(
  request: AwsOidcRequest,
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<AccessTokenResponse> {
  const identity = await oidcClientToken(request.oidc, timeoutMs);
  if ('error' in identity) return identity;
  const base = stsEndpoint(request.region);
  const url = base.endsWith('/') ? base : `${base}/`;
  const answer = await post(
    'STS AssumeRoleWithWebIdentity',
    url,
    {
      form: {
        Action: 'AssumeRoleWithWebIdentity',
        Version: STS_VERSION,
        RoleArn: request.roleArn,
        RoleSessionName: request.sessionName,
        WebIdentityToken: identity.token,
      },
    },
    timeoutMs,
    { accept: 'text/xml' },
  );
  if ('error' in answer) return answer;
  // The credentials' elements appear once in the answer (inside `Credentials`).
  const credentials = answer.text;
  const accessKeyId = xmlElement(credentials, 'AccessKeyId');
  const secretAccessKey = xmlElement(credentials, 'SecretAccessKey');
  const sessionToken = xmlElement(credentials, 'SessionToken');
  if (!accessKeyId || !secretAccessKey || !sessionToken)
    return { error: `STS AssumeRoleWithWebIdentity ${url} answered without temporary credentials` };
  const expiresInMs = Date.parse(xmlElement(credentials, 'Expiration') ?? '') - now();
  if (!Number.isFinite(expiresInMs) || expiresInMs <= 0)
    return { error: `STS AssumeRoleWithWebIdentity ${url} answered without an Expiration in the future` };
  return { accessToken: credentialsFileOf({ accessKeyId, secretAccessKey, sessionToken }), expiresInMs };
}
