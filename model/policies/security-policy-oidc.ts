// SecurityPolicy `oidc` → the IR's OidcIR: OpenID Connect as Envoy Gateway configures Envoy's oauth2 filter. An
// endpoint not given is read from the issuer's discovery document (fetched by the control plane, read here from
// `context.oidcDiscovery`); a given one wins.
import type { OidcDenyRedirectIR, OidcIR } from '../ir/policies.ts';
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
 * document not fetched yet or not usable refuses the policy, naming the issuer's URL and why. The fields that need
 * a newer Envoy API than the one Switchyard encodes are refused by name.
 */
export function oidc(policy: SecurityPolicy, view: ResourceView, context: PolicyContext): Resolved<OidcIR> {
  const spec = policy.spec?.oidc ?? {};
  const field = 'spec.oidc';
  const refused: [unknown, string][] = [
    [spec.provider?.endSessionEndpoint, 'provider.endSessionEndpoint'],
    [spec.forwardIDToken, 'forwardIDToken'],
    [spec.passThroughAuthHeader === true ? true : undefined, 'passThroughAuthHeader'],
    [spec.cookieDomain, 'cookieDomain'],
    [spec.cookieConfig, 'cookieConfig'],
    [spec.csrfTokenTTL, 'csrfTokenTTL'],
    [spec.disableTokenEncryption === true ? true : undefined, 'disableTokenEncryption'],
  ];
  for (const [value, name] of refused)
    if (value !== undefined && value !== null)
      return failure(`${field}.${name}: not supported by Switchyard; remove it`);
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
    },
  };
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
