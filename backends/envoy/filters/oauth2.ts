// OpenID Connect (SecurityPolicy `oidc`): Envoy's oauth2 filter, one per policy, disabled by default on the chain
// and enabled on the policy's rules. A request without valid session cookies is redirected to the provider's
// authorization endpoint (authorization code flow with PKCE); the callback exchanges the code at the token
// endpoint (client secret by HTTP basic auth, as Envoy Gateway does) and sets the session cookies. The client
// secret and the HMAC key that signs the cookies travel as SDS secrets; the HMAC key is derived from the client
// secret and the policy, so every translation gives the same one (a control plane restart keeps sessions).
import { createHash, createHmac } from 'node:crypto';
import type { OidcIR, SecurityIR } from '../../../model/ir/policies.ts';
import { protoDuration } from '../duration.ts';
import { ADS_SOURCE, type Json } from '../envoy-types.ts';
import { destinationCluster } from './destinations.ts';
import {
  distinctBy,
  enabled,
  type FilterContext,
  type HttpFilter,
  policyFilterName,
  type ServedRule,
  securityWith,
  typed,
} from './registry.ts';

const OAUTH2_FILTER = 'envoy.filters.http.oauth2';
const OAUTH2_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.oauth2.v3.OAuth2';
const TOKEN_ENDPOINT_TIMEOUT_MS = 10_000;

type WithOidc = SecurityIR & { readonly oidc: OidcIR };

const oidcOf = (served: ServedRule): WithOidc | undefined => securityWith(served, 'oidc');

function instanceName(security: SecurityIR): string {
  return policyFilterName(OAUTH2_FILTER, security.policy);
}

/** A short, stable suffix that keeps two policies' cookies apart on one host (Envoy Gateway suffixes them too). */
function cookieSuffix(security: SecurityIR): string {
  const id = `${security.policy.namespace ?? ''}/${security.policy.name}`;
  return createHash('sha256').update(id).digest('hex').slice(0, 8);
}

export const oauth2Filter: HttpFilter = {
  name: 'oauth2',
  chainFilters(rules, context) {
    const policies = distinctBy(
      rules.flatMap((served) => oidcOf(served) ?? []),
      instanceName,
    ).sort((a, b) => (instanceName(a) < instanceName(b) ? -1 : 1));
    return policies.map((security) => ({
      name: instanceName(security),
      disabled: true,
      typedConfig: typed(OAUTH2_TYPE, { config: oauth2Config(security, context) }),
    }));
  },
  routeConfig(served) {
    const security = oidcOf(served);
    return security === undefined ? {} : { [instanceName(security)]: enabled() };
  },
};

function exactPath(path: string): Json {
  return { path: { exact: path } };
}

function oauth2Config(security: WithOidc, context: FilterContext): Json {
  const oidc = security.oidc;
  const base = `oauth2/${security.policy.namespace ?? ''}/${security.policy.name}`;
  const clientSecretName = `${base}/client-secret`;
  const hmacName = `${base}/hmac`;
  context.secrets.set(clientSecretName, {
    name: clientSecretName,
    genericSecret: { secret: { inlineString: oidc.clientSecret } },
  });
  const hmac = createHmac('sha256', oidc.clientSecret)
    .update(`switchyard oauth2 hmac ${base}`)
    .digest('base64');
  context.secrets.set(hmacName, { name: hmacName, genericSecret: { secret: { inlineString: hmac } } });
  const suffix = cookieSuffix(security);
  const duration = (ms: number | undefined) => (ms === undefined ? undefined : protoDuration(ms));
  const optional: Json = {
    defaultExpiresIn: duration(oidc.defaultTokenTtlMs),
    defaultRefreshTokenExpiresIn: duration(oidc.defaultRefreshTokenTtlMs),
    csrfTokenExpiresIn: duration(oidc.csrfTokenTtlMs),
    endSessionEndpoint: oidc.endSessionEndpoint,
    disableTokenEncryption: oidc.disableTokenEncryption,
    cookieConfigs: oidc.sameSite === undefined ? undefined : cookieConfigs(oidc.sameSite),
    forwardIdToken:
      oidc.forwardIdTokenHeader === undefined ? undefined : { header: oidc.forwardIdTokenHeader },
    passThroughMatcher: oidc.passThroughHeaders?.map((header) => ({
      name: header.name,
      ...(header.prefix === undefined ? { presentMatch: true } : { stringMatch: { prefix: header.prefix } }),
    })),
  };
  // As Envoy Gateway: the client's Authorization header reaches the backend unless the filter puts a token there.
  const tokenInAuthorization =
    oidc.forwardAccessToken || oidc.forwardIdTokenHeader?.toLowerCase() === 'authorization';
  return {
    tokenEndpoint: {
      uri: oidc.tokenEndpoint.uri,
      cluster: destinationCluster(oidc.tokenEndpoint.destination, false, context),
      timeout: protoDuration(TOKEN_ENDPOINT_TIMEOUT_MS),
    },
    authorizationEndpoint: oidc.authorizationEndpoint,
    credentials: {
      clientId: oidc.clientId,
      tokenSecret: { name: clientSecretName, sdsConfig: ADS_SOURCE },
      hmacSecret: { name: hmacName, sdsConfig: ADS_SOURCE },
      cookieNames: {
        bearerToken: oidc.cookieNames.accessToken ?? `AccessToken-${suffix}`,
        oauthHmac: `OauthHMAC-${suffix}`,
        oauthExpires: `OauthExpires-${suffix}`,
        idToken: oidc.cookieNames.idToken ?? `IdToken-${suffix}`,
        refreshToken: `RefreshToken-${suffix}`,
        // Without these two, every policy's sign-in in progress shares Envoy's default OauthNonce and
        // CodeVerifier cookies: two sign-ins on one host overwrite each other's CSRF nonce and PKCE verifier.
        oauthNonce: `OauthNonce-${suffix}`,
        codeVerifier: `CodeVerifier-${suffix}`,
      },
      ...(oidc.cookieDomain === undefined ? {} : { cookieDomain: oidc.cookieDomain }),
    },
    redirectUri: oidc.redirectUri,
    redirectPathMatcher: exactPath(oidc.redirectPath),
    signoutPath: exactPath(oidc.logoutPath),
    forwardBearerToken: oidc.forwardAccessToken,
    preserveAuthorizationHeader: !tokenInAuthorization,
    authScopes: [...oidc.scopes],
    resources: [...oidc.resources],
    authType: 'BASIC_AUTH',
    useRefreshToken: oidc.refreshToken,
    ...(oidc.denyRedirect === undefined
      ? {}
      : {
          denyRedirectMatcher: oidc.denyRedirect.map((header) => ({
            name: header.name,
            stringMatch:
              header.type === 'RegularExpression'
                ? { safeRegex: { regex: header.value } }
                : {
                    [header.type === 'Exact' ? 'exact' : header.type === 'Prefix' ? 'prefix' : 'suffix']:
                      header.value,
                  },
          })),
        }),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

const COOKIES = [
  'bearerToken',
  'oauthHmac',
  'oauthExpires',
  'idToken',
  'refreshToken',
  'oauthNonce',
  'codeVerifier',
];

/** The same SameSite attribute on every cookie the filter sets, as Envoy Gateway does. */
function cookieConfigs(sameSite: NonNullable<OidcIR['sameSite']>): Json {
  const config = { sameSite: sameSite.toUpperCase() };
  return Object.fromEntries(COOKIES.map((cookie) => [`${cookie}CookieConfig`, config]));
}
