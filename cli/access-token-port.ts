// The token exchanges for BackendSecurityPolicy GCPCredentials and AzureCredentials (actors/ai-gateway/
// access-tokens.ts asks; model/ai-gateway/access-tokens.ts says what for), made as Google's and Microsoft's client
// libraries make them:
// - a GCP service-account key file: a JWT (RS256, `kid` the key's id) from the key's `client_email` for the
//   cloud-platform scope, audience the key's `token_uri`, valid an hour, posted to that `token_uri` as a
//   jwt-bearer grant (RFC 7523);
// - Azure client secret: the client credentials grant at `<authority host><tenantID>/oauth2/v2.0/token` for the
//   Cognitive Services scope; the authority host is `AZURE_AUTHORITY_HOST` when set, as the Azure SDKs read it;
// - Azure `oidcExchangeToken`: a token from the OIDC provider (cli/token-http.ts), given at the same endpoint as
//   the client assertion of a federated credential (the Azure SDKs' ClientAssertionCredential);
// - GCP workload identity federation: cli/gcp-federation-exchange.ts;
// - AWS `oidcExchangeToken` (STS AssumeRoleWithWebIdentity): cli/aws-sts-exchange.ts.
// Bounded in time; whatever happens comes back as a token or an error text naming the token endpoint and its
// answer (`error`, `error_description`), never a throw. Secrets and tokens are never put in an error text.
import { importPKCS8, SignJWT } from 'jose';
import type { FetchAccessTokenPort } from '../actors/ai-gateway/access-tokens.ts';
import {
  type AccessTokenRequest,
  AZURE_SCOPE,
  DEFAULT_AZURE_AUTHORITY_HOST,
  GCP_SCOPE,
} from '../model/ai-gateway/access-tokens.ts';
import { awsOidcCredentials } from './aws-sts-exchange.ts';
import { type GoogleEndpoints, gcpFederationToken, googleEndpoints } from './gcp-federation-exchange.ts';
import { oauthToken, oidcClientToken, post } from './token-http.ts';

export const TOKEN_TIMEOUT_MS = 10_000;
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ASSERTION_LIFETIME_S = 3600;

export interface AccessTokenPortOptions {
  readonly timeoutMs?: number;
  /** Entra ID's authority host; default `AZURE_AUTHORITY_HOST`, else the public cloud's. */
  readonly azureAuthorityHost?: string;
  /** Google's STS and IAM Credentials endpoints; default from the environment (cli/gcp-federation-exchange.ts). */
  readonly googleEndpoints?: GoogleEndpoints;
  /** Seconds since the epoch, for the JWT's iat/exp. */
  readonly nowSeconds?: () => number;
}

export function accessTokenPort(options: AccessTokenPortOptions = {}): FetchAccessTokenPort {
  const timeoutMs = options.timeoutMs ?? TOKEN_TIMEOUT_MS;
  const authorityHost =
    options.azureAuthorityHost ?? (process.env.AZURE_AUTHORITY_HOST || DEFAULT_AZURE_AUTHORITY_HOST);
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const google = options.googleEndpoints ?? googleEndpoints();
  return async ({ request }) => {
    if (request.grant === 'gcp-workload-identity') return gcpFederationToken(request, google, timeoutMs);
    if (request.grant === 'aws-oidc') return awsOidcCredentials(request, timeoutMs);
    const exchange =
      request.grant === 'gcp-service-account'
        ? await gcpExchange(request, nowSeconds())
        : request.grant === 'azure-client-secret'
          ? azureExchange(request, authorityHost)
          : await azureOidcExchange(request, authorityHost, timeoutMs);
    if ('error' in exchange) return exchange;
    return oauthToken(
      exchange.url,
      await post('token endpoint', exchange.url, { form: exchange.form }, timeoutMs),
    );
  };
}

type Exchange = { readonly url: string; readonly form: Record<string, string> } | { readonly error: string };

/** The jwt-bearer grant of a service-account key file. */
export async function gcpExchange(
  request: Extract<AccessTokenRequest, { grant: 'gcp-service-account' }>,
  now: number,
): Promise<Exchange> {
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(request.serviceAccountKey) as Record<string, unknown>;
  } catch {
    return { error: 'the service-account key file is not JSON' };
  }
  if (key.type !== 'service_account')
    return { error: `the key file's type is '${String(key.type)}', not 'service_account'` };
  const email = key.client_email;
  const pem = key.private_key;
  if (typeof email !== 'string' || typeof pem !== 'string')
    return { error: 'the service-account key file lacks client_email or private_key' };
  const url = typeof key.token_uri === 'string' && key.token_uri !== '' ? key.token_uri : GOOGLE_TOKEN_URI;
  let signingKey: Awaited<ReturnType<typeof importPKCS8>>;
  try {
    signingKey = await importPKCS8(pem, 'RS256');
  } catch {
    return { error: "the service-account key file's private_key is not a PKCS#8 RSA key" };
  }
  const header = {
    alg: 'RS256',
    typ: 'JWT',
    ...(typeof key.private_key_id === 'string' ? { kid: key.private_key_id } : {}),
  };
  const assertion = await new SignJWT({ scope: GCP_SCOPE })
    .setProtectedHeader(header)
    .setIssuer(email)
    .setAudience(url)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_S)
    .sign(signingKey);
  return { url, form: { grant_type: JWT_BEARER, assertion } };
}

function entraTokenUrl(authorityHost: string, tenantID: string): string {
  const host = authorityHost.endsWith('/') ? authorityHost : `${authorityHost}/`;
  return `${host}${encodeURIComponent(tenantID)}/oauth2/v2.0/token`;
}

/** The client credentials grant at Entra ID. */
export function azureExchange(
  request: Extract<AccessTokenRequest, { grant: 'azure-client-secret' }>,
  authorityHost: string,
): Exchange {
  return {
    url: entraTokenUrl(authorityHost, request.tenantID),
    form: {
      grant_type: 'client_credentials',
      client_id: request.clientID,
      client_secret: request.clientSecret,
      scope: AZURE_SCOPE,
    },
  };
}

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The OIDC provider's token as the client assertion of Entra ID's client credentials grant. */
async function azureOidcExchange(
  request: Extract<AccessTokenRequest, { grant: 'azure-oidc' }>,
  authorityHost: string,
  timeoutMs: number,
): Promise<Exchange> {
  const assertion = await oidcClientToken(request.oidc, timeoutMs);
  if ('error' in assertion) return assertion;
  return {
    url: entraTokenUrl(authorityHost, request.tenantID),
    form: {
      grant_type: 'client_credentials',
      client_id: request.clientID,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion.token,
      scope: AZURE_SCOPE,
    },
  };
}
