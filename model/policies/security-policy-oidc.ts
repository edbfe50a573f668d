// SecurityPolicy `oidc` → the IR's OidcIR: OpenID Connect as Envoy Gateway configures Envoy's oauth2 filter. An
// endpoint not given is read from the issuer's discovery document (fetched by the control plane, read here from
// `context.oidcDiscovery`); a given one wins.
import type { OidcDenyRedirectIR, OidcIR, OidcPassThroughHeaderIR } from '../ir/policies.ts';
import type { SecurityPolicy } from '../resources/envoy-gateway-policies.ts';
import { parseGatewayDuration } from '../shared/durations.ts';
import { re2Error } from '../shared/re2.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import type { PolicyContext } from './attachment.ts';
import { discoveryUrl, issuerNeedingDiscovery, type OidcDiscoveryDocument } from './oidc-discovery.ts';
import {
  failure,
  type Resolved,
  resolvePolicyBackend,
  secretValue,
  uriDestination,
} from './policy-backends.ts';

/** Envoy Gateway's default redirect URL: the callback on the host the request came to. */
const DEFAULT_REDIRECT_URL = '%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback';
const DEFAULT_LOGOUT_PATH = '/logout';

/**
 * OpenID Connect as Envoy Gateway configures Envoy's oauth2 filter. An endpoint not given is read from the issuer's
 * discovery document (fetched by the control plane, read here from `context.oidcDiscovery`); a given one wins. A
 * document not fetched yet or not usable refuses the policy, naming the issuer's URL and why.
 */
export function oidc(policy: SecurityPolicy, view: ResourceView, context: PolicyContext): Resolved<OidcIR> {
  const spec = policy.spec?.oidc ?? {};
  const field = 'spec.oidc';
  const issuer = String(spec.provider?.issuer ?? '');
  if (!/^https?:\/\/[^/?#]+/.test(issuer))
    return failure(`${field}.provider.issuer: "${issuer}" is not an http(s) URL`);
  const given = {
    authorizationEndpoint: spec.provider?.authorizationEndpoint,
    tokenEndpoint: spec.provider?.tokenEndpoint,
  };
  let discovered: OidcDiscoveryDocument | undefined;
  if (issuerNeedingDiscovery(policy) !== undefined) {
    const entry = context.oidcDiscovery?.get(issuer);
    if (entry === undefined)
      return failure(
        `${field}.provider: the discovery document ${discoveryUrl(issuer)} has not been read yet (authorizationEndpoint and tokenEndpoint are not both set)`,
      );
    if (!entry.ok)
      return failure(
        `${field}.provider: ${entry.error}; fix the provider or set authorizationEndpoint and tokenEndpoint`,
      );
    discovered = entry.document;
  }
  const endSessionEndpoint = spec.provider?.endSessionEndpoint ?? discovered?.endSessionEndpoint;
  if (endSessionEndpoint !== undefined && httpUrl(endSessionEndpoint) === undefined)
    return failure(
      `${spec.provider?.endSessionEndpoint === undefined ? `${discoveryUrl(issuer)}: endSessionEndpoint` : `${field}.provider.endSessionEndpoint`}: "${endSessionEndpoint}" is not an http(s) URL`,
    );
  const endpoints: Record<'authorizationEndpoint' | 'tokenEndpoint', URL> = {} as never;
  for (const name of ['authorizationEndpoint', 'tokenEndpoint'] as const) {
    const value = typeof given[name] === 'string' && given[name] !== '' ? given[name] : discovered?.[name];
    const where = given[name] ? `${field}.provider.${name}` : `${discoveryUrl(issuer)}: ${name}`;
    const url = httpUrl(String(value ?? ''));
    if (url === undefined) return failure(`${where}: "${value}" is not an http(s) URL`);
    endpoints[name] = url;
  }
  const provider = spec.provider;
  const viaBackend =
    (provider?.backendRefs?.length ?? 0) > 0 ||
    provider?.backendRef !== undefined ||
    provider?.backendSettings !== undefined;
  const destination = viaBackend
    ? resolvePolicyBackend(policy, provider, view, `${field}.provider`, context)
    : ({ ok: true, value: uriDestination(endpoints.tokenEndpoint) } as const);
  if (!destination.ok) return destination;
  let clientId = spec.clientID;
  if ((clientId === undefined) === (spec.clientIDRef === undefined))
    return failure(`${field}: set exactly one of clientID and clientIDRef`);
  if (clientId === undefined) {
    const secret = secretValue(policy, spec.clientIDRef, 'client-id', view, `${field}.clientIDRef`);
    if (!secret.ok) return secret;
    clientId = secret.value.data['client-id'] ?? '';
  }
  if (clientId === '') return failure(`${field}.clientID: must not be empty`);
  const secret = secretValue(policy, spec.clientSecret, 'client-secret', view, `${field}.clientSecret`);
  if (!secret.ok) return secret;
  const clientSecret = secret.value.data['client-secret'] ?? '';
  if (clientSecret === '')
    return failure(`${field}.clientSecret: Secret ${secret.value.name} has an empty client-secret`);
  const redirectUri = spec.redirectURL ?? DEFAULT_REDIRECT_URL;
  // The callback's path: what follows the scheme and authority (which may be Envoy command operators).
  const redirectPath = /^[^:/]+:\/\/[^/]+(\/[^?#]*)/.exec(redirectUri)?.[1];
  if (redirectPath === undefined)
    return failure(
      `${field}.redirectURL: "${redirectUri}" has no path for the callback (scheme://host/path)`,
    );
  const logoutPath = spec.logoutPath ?? DEFAULT_LOGOUT_PATH;
  if (!logoutPath.startsWith('/')) return failure(`${field}.logoutPath: "${logoutPath}" must start with /`);
  const durations: Record<string, number | undefined> = {};
  for (const name of ['defaultTokenTTL', 'defaultRefreshTokenTTL'] as const) {
    const value = spec[name];
    if (value === undefined) continue;
    const ms = parseGatewayDuration(value);
    if (ms === undefined) return failure(`${field}.${name}: "${value}" is not a duration`);
    durations[name] = ms;
  }
  const denyRedirect = denyRedirectHeaders(spec.denyRedirect, `${field}.denyRedirect`);
  if (!denyRedirect.ok) return denyRedirect;
  const session = sessionOptions(policy, field);
  if (!session.ok) return session;
  const scopes = spec.scopes ?? [];
  return {
    ok: true,
    value: {
      issuer,
      authorizationEndpoint: endpoints.authorizationEndpoint.href,
      tokenEndpoint: { uri: endpoints.tokenEndpoint.href, destination: destination.value },
      clientId,
      clientSecret,
      // Envoy Gateway's order: the user's scopes, then openid when they lack it.
      scopes: scopes.includes('openid') ? [...scopes] : [...scopes, 'openid'],
      resources: [...(spec.resources ?? [])],
      redirectUri,
      redirectPath,
      logoutPath,
      forwardAccessToken: spec.forwardAccessToken === true,
      refreshToken: spec.refreshToken !== false,
      ...(durations.defaultTokenTTL === undefined ? {} : { defaultTokenTtlMs: durations.defaultTokenTTL }),
      ...(durations.defaultRefreshTokenTTL === undefined
        ? {}
        : { defaultRefreshTokenTtlMs: durations.defaultRefreshTokenTTL }),
      ...(denyRedirect.value.length === 0 ? {} : { denyRedirect: denyRedirect.value }),
      cookieNames: {
        ...(spec.cookieNames?.accessToken ? { accessToken: spec.cookieNames.accessToken } : {}),
        ...(spec.cookieNames?.idToken ? { idToken: spec.cookieNames.idToken } : {}),
      },
      ...(endSessionEndpoint === undefined ? {} : { endSessionEndpoint }),
      ...session.value,
    },
  };
}

type SessionOptions = Pick<
  OidcIR,
  | 'cookieDomain'
  | 'sameSite'
  | 'csrfTokenTtlMs'
  | 'disableTokenEncryption'
  | 'forwardIdTokenHeader'
  | 'passThroughHeaders'
>;

const COOKIE_DOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const SAME_SITE = ['Strict', 'Lax', 'None'] as const;

/**
 * The session's cookies (domain, SameSite, the CSRF cookie's lifetime, plain-text tokens), the ID token forwarded,
 * and passThroughAuthHeader: as Envoy Gateway validates them (the CRD's patterns; a pass-through needs a JWT
 * provider of the policy that reads a header, and the ID token's header must not be one a provider reads).
 */
function sessionOptions(policy: SecurityPolicy, field: string): Resolved<SessionOptions> {
  const spec = policy.spec?.oidc ?? {};
  const out: { -readonly [K in keyof SessionOptions]: SessionOptions[K] } = {};
  if (spec.cookieDomain !== undefined) {
    if (!COOKIE_DOMAIN.test(spec.cookieDomain))
      return failure(`${field}.cookieDomain: "${spec.cookieDomain}" is not a lower-case domain name`);
    out.cookieDomain = spec.cookieDomain;
  }
  const sameSite = spec.cookieConfig?.sameSite;
  if (sameSite !== undefined) {
    if (!SAME_SITE.includes(sameSite as never))
      return failure(`${field}.cookieConfig.sameSite: "${sameSite}" is not one of ${SAME_SITE.join(', ')}`);
    out.sameSite = sameSite as (typeof SAME_SITE)[number];
  }
  if (spec.csrfTokenTTL !== undefined) {
    const ms = parseGatewayDuration(spec.csrfTokenTTL);
    if (ms === undefined) return failure(`${field}.csrfTokenTTL: "${spec.csrfTokenTTL}" is not a duration`);
    out.csrfTokenTtlMs = ms;
  }
  if (spec.disableTokenEncryption === true) out.disableTokenEncryption = true;
  const idHeader = spec.forwardIDToken?.header;
  if (spec.forwardIDToken !== undefined) {
    if (typeof idHeader !== 'string' || !HEADER_NAME.test(idHeader) || idHeader.toLowerCase() === 'host')
      return failure(
        `${field}.forwardIDToken.header: "${idHeader}" is not a header name (nor may it be Host)`,
      );
    out.forwardIdTokenHeader = idHeader;
  }
  if (spec.passThroughAuthHeader === true) {
    const passThrough = passThroughHeaders(policy, field);
    if (!passThrough.ok) return passThrough;
    const clash = passThrough.value.find((h) => h.name.toLowerCase() === idHeader?.toLowerCase());
    if (clash !== undefined)
      return failure(
        `${field}.forwardIDToken.header: "${idHeader}" is a header a JWT provider reads, which passThroughAuthHeader lets through; choose another header`,
      );
    out.passThroughHeaders = passThrough.value;
  }
  return { ok: true, value: out };
}

/** The headers the policy's JWT providers read (`Authorization: Bearer …` for one without extractFrom). */
function passThroughHeaders(policy: SecurityPolicy, field: string): Resolved<OidcPassThroughHeaderIR[]> {
  const providers = policy.spec?.jwt?.providers ?? [];
  if (providers.length === 0)
    return failure(
      `${field}.passThroughAuthHeader: needs spec.jwt, whose providers check the tokens let through`,
    );
  const headers: OidcPassThroughHeaderIR[] = [];
  for (const provider of providers) {
    if (provider?.extractFrom === undefined) {
      headers.push({ name: 'Authorization', prefix: 'Bearer ' });
      continue;
    }
    for (const header of provider.extractFrom.headers ?? [])
      headers.push({
        name: String(header.name),
        ...(header.valuePrefix === undefined ? {} : { prefix: header.valuePrefix }),
      });
  }
  if (headers.length === 0)
    return failure(
      `${field}.passThroughAuthHeader: no JWT provider of this policy reads a header (extractFrom has only cookies or params)`,
    );
  return { ok: true, value: headers };
}

const STRING_MATCH_TYPES = ['Exact', 'Prefix', 'Suffix', 'RegularExpression'] as const;

/** `denyRedirect.headers` (1–16 string matches): requests they match answer 401 instead of a sign-in redirect. */
function denyRedirectHeaders(value: unknown, field: string): Resolved<OidcDenyRedirectIR[]> {
  if (value === undefined || value === null) return { ok: true, value: [] };
  const headers = (value as { headers?: unknown }).headers;
  if (!Array.isArray(headers) || headers.length === 0 || headers.length > 16)
    return failure(`${field}.headers: 1 to 16 headers to match`);
  const out: OidcDenyRedirectIR[] = [];
  for (const [i, header] of headers.entries()) {
    const at = `${field}.headers[${i}]`;
    const { name, type = 'Exact', value: text } = (header ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') return failure(`${at}.name: required`);
    if (!STRING_MATCH_TYPES.includes(type as never))
      return failure(`${at}.type: ${String(type)} is not one of ${STRING_MATCH_TYPES.join(', ')}`);
    if (typeof text !== 'string') return failure(`${at}.value: required`);
    const error = type === 'RegularExpression' ? re2Error(text) : undefined;
    if (error !== undefined) return failure(`${at}.value: invalid as a regular expression: ${error}`);
    out.push({ name, type: type as OidcDenyRedirectIR['type'], value: text });
  }
  return { ok: true, value: out };
}

function httpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}
