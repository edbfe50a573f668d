// GCP workload identity federation's calls (model/ai-gateway/gcp-federation.ts says what for), as Envoy AI
// Gateway's GCP OIDC token rotator makes them through Google's Go clients: the OIDC provider's token
// (cli/token-http.ts), then Google's Security Token Service — `POST <sts>/v1/token?alt=json&prettyPrint=false`
// with the JSON exchange request — and, when a service account is impersonated, IAM Credentials — `POST
// <iamcredentials>/v1/projects/-/serviceAccounts/<email>:generateAccessToken` with the STS token as bearer and
// `{"lifetime":"3600s","scope":[cloud-platform]}`. The two Google endpoints are `https://sts.googleapis.com` and
// `https://iamcredentials.googleapis.com` unless `SWITCHYARD_GCP_STS_ENDPOINT` and
// `SWITCHYARD_GCP_IAM_CREDENTIALS_ENDPOINT` name others (Private Service Connect endpoints such as
// `https://sts-<endpoint>.p.googleapis.com`, or an egress proxy), as Google's clients take an endpoint option.
import type { AccessTokenResponse } from '../model/ai-gateway/access-tokens.ts';
import { GCP_SCOPE } from '../model/ai-gateway/access-tokens.ts';
import type { FederationRequest } from '../model/ai-gateway/gcp-federation.ts';
import { oauthToken, oidcClientToken, post } from './token-http.ts';

export const DEFAULT_GCP_STS_ENDPOINT = 'https://sts.googleapis.com';
export const DEFAULT_GCP_IAM_CREDENTIALS_ENDPOINT = 'https://iamcredentials.googleapis.com';
const IAM_SCOPE = 'https://www.googleapis.com/auth/iam';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

export interface GoogleEndpoints {
  readonly sts: string;
  readonly iamCredentials: string;
}

/** The endpoints from the environment, else Google's. */
export function googleEndpoints(): GoogleEndpoints {
  return {
    sts: process.env.SWITCHYARD_GCP_STS_ENDPOINT || DEFAULT_GCP_STS_ENDPOINT,
    iamCredentials:
      process.env.SWITCHYARD_GCP_IAM_CREDENTIALS_ENDPOINT || DEFAULT_GCP_IAM_CREDENTIALS_ENDPOINT,
  };
}

const withoutSlash = (url: string) => url.replace(/\/+$/, '');

export async function gcpFederationToken(
  request: FederationRequest,
  endpoints: GoogleEndpoints,
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<AccessTokenResponse> {
  const subject = await oidcClientToken(request.oidc, timeoutMs);
  if ('error' in subject) return subject;
  const stsUrl = `${withoutSlash(endpoints.sts)}/v1/token`;
  const exchanged = oauthToken(
    stsUrl,
    await post(
      'STS',
      `${stsUrl}?alt=json&prettyPrint=false`,
      {
        json: {
          audience: request.audience,
          grantType: TOKEN_EXCHANGE,
          requestedTokenType: ACCESS_TOKEN_TYPE,
          scope: IAM_SCOPE,
          subjectToken: subject.token,
          subjectTokenType: JWT_TOKEN_TYPE,
        },
      },
      timeoutMs,
    ),
  );
  if ('error' in exchanged || request.serviceAccount === undefined) return exchanged;
  const iamUrl = `${withoutSlash(endpoints.iamCredentials)}/v1/projects/-/serviceAccounts/${request.serviceAccount}:generateAccessToken`;
  const answer = await post(
    'IAM Credentials',
    iamUrl,
    { json: { lifetime: '3600s', scope: [GCP_SCOPE] } },
    timeoutMs,
    { authorization: `Bearer ${exchanged.accessToken}` },
  );
  if ('error' in answer) return answer;
  const accessToken = answer.body.accessToken;
  const expiresInMs = Date.parse(String(answer.body.expireTime)) - now();
  if (typeof accessToken !== 'string' || accessToken === '')
    return { error: `IAM Credentials ${iamUrl} answered without an accessToken` };
  if (!Number.isFinite(expiresInMs) || expiresInMs <= 0)
    return { error: `IAM Credentials ${iamUrl} answered without an expireTime in the future` };
  return { accessToken, expiresInMs };
}
