// SecurityPolicy (gateway.envoyproxy.io/v1alpha1) → the IR's SecurityIR: JWT (providers, remote JWKS by URI or
// backendRefs, local JWKS inline or from a ConfigMap, claims to headers, token extraction, recomputeRoute,
// optional, failOpen), authorization (rules on methods, paths, client CIDRs, headers, JWT claims and scopes;
// default action), API keys and basic auth (from Secrets), CORS and external authorization (gRPC or HTTP);
// OpenID Connect in security-policy-oidc.ts.
// Anything it cannot enforce — a missing Secret or backend, a field Switchyard does not support — makes the
// verdict a refusal naming the field; attachment then denies the targeted routes (fail closed).
import { isIP } from 'node:net';
import type {
  ApiKeyAuthIR,
  AuthorizationIR,
  AuthorizationRuleIR,
  BasicAuthIR,
  CorsIR,
  ExtAuthIR,
  JwtIR,
  JwtProviderIR,
  SecurityIR,
} from '../ir/policies.ts';
import type { SecurityPolicy } from '../resources/envoy-gateway-policies.ts';
import { keyOf } from '../resources/resource-key.ts';
import { parseGatewayDuration } from '../shared/durations.ts';
import { escapeRegex, re2Error, wildcardOriginRegex } from '../shared/re2.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import {
  CLUSTER_POLICY_CONTEXT,
  invalid,
  type PolicyContext,
  type PolicyKindRules,
  type PolicyVerdict,
} from './attachment.ts';
import {
  configMapValue,
  failure,
  type Resolved,
  resolvePolicyBackend,
  secretValue,
  uriDestination,
} from './policy-backends.ts';
import { oidc } from './security-policy-oidc.ts';

const DEFAULT_EXT_AUTH_TIMEOUT_MS = 10_000;
const DEFAULT_JWKS_CACHE_MS = 300_000;

export const securityPolicyRules: PolicyKindRules<SecurityIR> = {
  kind: 'SecurityPolicy',
  targetKinds: ['Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'TCPRoute', 'AIGatewayRoute'],
  scope: 'rule',
  evaluate: (policy, view, context) => evaluateSecurityPolicy(policy as SecurityPolicy, view, context),
};

type Fields = { -readonly [K in keyof SecurityIR]: SecurityIR[K] };

export function evaluateSecurityPolicy(
  policy: SecurityPolicy,
  view: ResourceView,
  context: PolicyContext = CLUSTER_POLICY_CONTEXT,
): PolicyVerdict<SecurityIR> {
  const spec = policy.spec ?? {};
  const refuse = (message: string) => invalid<SecurityIR>(message);
  const unsupported: [unknown, string][] = [
    [spec.mergeType, 'spec.mergeType'],
    [spec.csrf, 'spec.csrf'],
  ];
  for (const [value, field] of unsupported)
    if (value !== undefined && value !== null)
      return refuse(`${field}: not supported by Switchyard; remove it`);
  const fields: Fields = { policy: keyOf(policy) };
  const steps: [unknown, () => Resolved<unknown>, keyof Fields][] = [
    [spec.cors, () => cors(policy), 'cors'],
    [spec.jwt, () => jwt(policy, view, context), 'jwt'],
    [spec.oidc, () => oidc(policy, view, context), 'oidc'],
    [spec.basicAuth, () => basicAuth(policy, view), 'basicAuth'],
    [spec.apiKeyAuth, () => apiKeyAuth(policy, view), 'apiKeyAuth'],
    [spec.extAuth, () => extAuth(policy, view, context), 'extAuth'],
    [spec.authorization, () => authorization(policy), 'authorization'],
  ];
  for (const [present, build, field] of steps) {
    if (present === undefined || present === null) continue;
    const result = build();
    if (!result.ok) return refuse(result.message);
    (fields as Record<string, unknown>)[field] = result.value;
  }
  return { ok: true, ir: fields };
}

function cors(policy: SecurityPolicy): Resolved<CorsIR> {
  const spec = policy.spec?.cors ?? {};
  const maxAge = spec.maxAge === undefined ? undefined : parseGatewayDuration(spec.maxAge);
  if (spec.maxAge !== undefined && maxAge === undefined)
    return failure(`spec.cors.maxAge: "${spec.maxAge}" is not a duration`);
  for (const [i, origin] of (spec.allowOrigins ?? []).entries()) {
    const error = String(origin).includes('*') ? re2Error(wildcardOriginRegex(String(origin))) : undefined;
    if (error !== undefined)
      return failure(`spec.cors.allowOrigins[${i}]: invalid as a regular expression: ${error}`);
  }
  return {
    ok: true,
    value: {
      allowOrigins: [...(spec.allowOrigins ?? [])],
      allowMethods: [...(spec.allowMethods ?? [])],
      allowHeaders: [...(spec.allowHeaders ?? [])],
      exposeHeaders: [...(spec.exposeHeaders ?? [])],
      ...(maxAge === undefined ? {} : { maxAgeSeconds: Math.floor(maxAge / 1000) }),
      allowCredentials: spec.allowCredentials === true,
    },
  };
}

function jwt(policy: SecurityPolicy, view: ResourceView, context: PolicyContext): Resolved<JwtIR> {
  const spec = policy.spec?.jwt ?? {};
  const providers: JwtProviderIR[] = [];
  const names = new Set<string>();
  for (const [i, provider] of (spec.providers ?? []).entries()) {
    const field = `spec.jwt.providers[${i}]`;
    const name = String(provider?.name ?? '');
    if (name === '') return failure(`${field}.name: required`);
    if (names.has(name))
      return failure(`${field}.name: "${name}" is used by another provider of this policy`);
    names.add(name);
    const jwks = jwksOf(policy, provider, view, field, context);
    if (!jwks.ok) return jwks;
    const extract = provider.extractFrom;
    providers.push({
      name,
      ...(provider.issuer ? { issuer: provider.issuer } : {}),
      audiences: [...(provider.audiences ?? [])],
      jwks: jwks.value,
      claimToHeaders: (provider.claimToHeaders ?? []).map((c) => ({
        header: String(c.header),
        claim: String(c.claim),
      })),
      recomputeRoute: provider.recomputeRoute === true,
      ...(extract === undefined
        ? {}
        : {
            extractFrom: {
              headers: (extract.headers ?? []).map((h) => ({
                name: String(h.name),
                ...(h.valuePrefix === undefined ? {} : { valuePrefix: h.valuePrefix }),
              })),
              cookies: [...(extract.cookies ?? [])],
              params: [...(extract.params ?? [])],
            },
          }),
    });
  }
  if (providers.length === 0) return failure('spec.jwt.providers: at least one provider is required');
  return {
    ok: true,
    value: { optional: spec.optional === true, failOpen: spec.failOpen === true, providers },
  };
}

function jwksOf(
  policy: SecurityPolicy,
  provider: NonNullable<NonNullable<SecurityPolicy['spec']>['jwt']>['providers'] extends
    | (infer P)[]
    | undefined
    ? P
    : never,
  view: ResourceView,
  field: string,
  context: PolicyContext,
): Resolved<JwtProviderIR['jwks']> {
  const remote = provider.remoteJWKS;
  const local = provider.localJWKS;
  if ((remote === undefined) === (local === undefined))
    return failure(`${field}: set exactly one of remoteJWKS and localJWKS`);
  if (local !== undefined) {
    if ((local.type ?? 'Inline') === 'Inline') {
      if (typeof local.inline !== 'string' || local.inline === '')
        return failure(`${field}.localJWKS.inline: required for type Inline`);
      return { ok: true, value: { kind: 'local', inline: local.inline } };
    }
    const name = String(local.valueRef?.name ?? '');
    if ((local.valueRef?.kind ?? 'ConfigMap') !== 'ConfigMap')
      return failure(`${field}.localJWKS.valueRef: only a ConfigMap is supported`);
    const value = configMapValue(policy, name, 'jwks', view, `${field}.localJWKS.valueRef`, true);
    if (!value.ok) return value;
    return { ok: true, value: { kind: 'local', inline: value.value } };
  }
  const uri = String(remote?.uri ?? '');
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return failure(`${field}.remoteJWKS.uri: "${uri}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return failure(`${field}.remoteJWKS.uri: must be http or https`);
  const cacheDurationMs =
    remote?.cacheDuration === undefined ? DEFAULT_JWKS_CACHE_MS : parseGatewayDuration(remote.cacheDuration);
  if (cacheDurationMs === undefined)
    return failure(`${field}.remoteJWKS.cacheDuration: "${remote?.cacheDuration}" is not a duration`);
  const failedRefetchMs =
    remote?.failedRefetchDuration === undefined
      ? undefined
      : parseGatewayDuration(remote.failedRefetchDuration);
  if (remote?.failedRefetchDuration !== undefined && failedRefetchMs === undefined)
    return failure(
      `${field}.remoteJWKS.failedRefetchDuration: "${remote.failedRefetchDuration}" is not a duration`,
    );
  const viaBackend =
    (remote?.backendRefs?.length ?? 0) > 0 ||
    remote?.backendRef !== undefined ||
    remote?.backendSettings !== undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const destination = viaBackend
    ? resolvePolicyBackend(policy, remote, view, `${field}.remoteJWKS`, context)
    : ({ ok: true, value: uriDestination(url) } as const);
  if (!destination.ok) return destination;
  if (!viaBackend && isIP(host) === 0 && host === '') return failure(`${field}.remoteJWKS.uri: needs a host`);
  return {
    ok: true,
    value: {
      kind: 'remote',
      uri,
      destination: destination.value,
      cacheDurationMs,
      ...(failedRefetchMs === undefined ? {} : { failedRefetchMs }),
    },
  };
}

const HTPASSWD_SHA = /^[^:\s]+:\{SHA\}[A-Za-z0-9+/]{27}=$/;

function basicAuth(policy: SecurityPolicy, view: ResourceView): Resolved<BasicAuthIR> {
  const spec = policy.spec?.basicAuth ?? {};
  const secret = secretValue(policy, spec.users, '.htpasswd', view, 'spec.basicAuth.users');
  if (!secret.ok) return secret;
  const lines = (secret.value.data['.htpasswd'] ?? '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0)
    return failure(`spec.basicAuth.users: Secret ${secret.value.name} .htpasswd has no user`);
  const bad = lines.findIndex((line) => !HTPASSWD_SHA.test(line.trim()));
  if (bad >= 0)
    return failure(
      `spec.basicAuth.users: Secret ${secret.value.name} .htpasswd line ${bad + 1} is not "user:{SHA}<base64 SHA-1>" (only SHA is supported)`,
    );
  return {
    ok: true,
    value: {
      credentials: `${lines.map((l) => l.trim()).join('\n')}\n`,
      ...(spec.forwardUsernameHeader ? { forwardUsernameHeader: spec.forwardUsernameHeader } : {}),
    },
  };
}

function apiKeyAuth(policy: SecurityPolicy, view: ResourceView): Resolved<ApiKeyAuthIR> {
  const spec = policy.spec?.apiKeyAuth ?? {};
  const credentials: { client: string; key: string }[] = [];
  const clients = new Set<string>();
  for (const [i, ref] of (spec.credentialRefs ?? []).entries()) {
    const secret = secretValue(policy, ref, undefined, view, `spec.apiKeyAuth.credentialRefs[${i}]`);
    if (!secret.ok) return secret;
    for (const [client, key] of Object.entries(secret.value.data).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (clients.has(client) || key === '') continue;
      clients.add(client);
      credentials.push({ client, key });
    }
  }
  if (credentials.length === 0)
    return failure('spec.apiKeyAuth.credentialRefs: no API key found in the Secrets');
  const extractFrom = (spec.extractFrom ?? []).map((source) => ({
    headers: [...(source?.headers ?? [])],
    params: [...(source?.params ?? [])],
    cookies: [...(source?.cookies ?? [])],
  }));
  const bad = extractFrom.findIndex(
    (s) => [s.headers.length, s.params.length, s.cookies.length].filter((n) => n > 0).length !== 1,
  );
  if (extractFrom.length === 0)
    return failure('spec.apiKeyAuth.extractFrom: at least one source is required');
  if (bad >= 0)
    return failure(`spec.apiKeyAuth.extractFrom[${bad}]: set exactly one of headers, params or cookies`);
  return {
    ok: true,
    value: {
      credentials,
      extractFrom,
      ...(spec.forwardClientIDHeader ? { forwardClientIDHeader: spec.forwardClientIDHeader } : {}),
      sanitize: spec.sanitize === true,
    },
  };
}

function extAuth(policy: SecurityPolicy, view: ResourceView, context: PolicyContext): Resolved<ExtAuthIR> {
  const spec = policy.spec?.extAuth ?? {};
  if ((spec.grpc === undefined) === (spec.http === undefined))
    return failure('spec.extAuth: set exactly one of grpc and http');
  if (spec.includeRouteMetadata === true)
    return failure('spec.extAuth.includeRouteMetadata: not supported by Switchyard; remove it');
  if (spec.http?.pathOverride !== undefined)
    return failure('spec.extAuth.http.pathOverride: not supported by Switchyard; use path');
  const protocol = spec.grpc === undefined ? 'HTTP' : 'GRPC';
  const field = protocol === 'GRPC' ? 'spec.extAuth.grpc' : 'spec.extAuth.http';
  const destination = resolvePolicyBackend(policy, spec.grpc ?? spec.http, view, field, context);
  if (!destination.ok) return destination;
  const timeoutMs =
    spec.timeout === undefined ? DEFAULT_EXT_AUTH_TIMEOUT_MS : parseGatewayDuration(spec.timeout);
  if (timeoutMs === undefined) return failure(`spec.extAuth.timeout: "${spec.timeout}" is not a duration`);
  const contextExtensions: { name: string; value: string }[] = [];
  for (const [i, extension] of (spec.contextExtensions ?? []).entries()) {
    const extField = `spec.extAuth.contextExtensions[${i}]`;
    if ((extension?.type ?? 'Value') === 'Value') {
      contextExtensions.push({ name: String(extension?.name), value: String(extension?.value ?? '') });
      continue;
    }
    const ref = extension?.valueRef;
    const value =
      ref?.kind === 'Secret'
        ? secretValue(policy, { name: ref.name }, ref.key, view, `${extField}.valueRef`)
        : configMapValue(policy, String(ref?.name ?? ''), ref?.key, view, `${extField}.valueRef`, false);
    if (!value.ok) return value;
    const text = typeof value.value === 'string' ? value.value : (value.value.data[String(ref?.key)] ?? '');
    contextExtensions.push({ name: String(extension?.name), value: text });
  }
  return {
    ok: true,
    value: {
      protocol,
      destination: destination.value,
      ...(spec.http?.path === undefined ? {} : { path: spec.http.path }),
      headersToBackend: [...(spec.http?.headersToBackend ?? [])],
      headersToExtAuth: [...(spec.headersToExtAuth ?? [])],
      ...(spec.bodyToExtAuth?.maxRequestBytes === undefined
        ? {}
        : { maxRequestBytes: spec.bodyToExtAuth.maxRequestBytes }),
      timeoutMs,
      failOpen: spec.failOpen === true,
      recomputeRoute: spec.recomputeRoute === true,
      ...(spec.statusOnError === undefined ? {} : { statusOnError: spec.statusOnError }),
      contextExtensions,
    },
  };
}

function authorization(policy: SecurityPolicy): Resolved<AuthorizationIR> {
  const spec = policy.spec?.authorization ?? {};
  const providers = new Set((policy.spec?.jwt?.providers ?? []).map((p) => p?.name));
  const rules: AuthorizationRuleIR[] = [];
  for (const [i, rule] of (spec.rules ?? []).entries()) {
    const field = `spec.authorization.rules[${i}]`;
    if (rule?.cel !== undefined) return failure(`${field}.cel: not supported by Switchyard; remove it`);
    const principal = rule?.principal ?? {};
    if ((principal.clientIPGeoLocations?.length ?? 0) > 0)
      return failure(`${field}.principal.clientIPGeoLocations: not supported by Switchyard; remove it`);
    const clientCIDRs: AuthorizationRuleIR['clientCIDRs'][number][] = [];
    for (const [j, cidr] of (principal.clientCIDRs ?? []).entries()) {
      const parsed = parseCidr(String(cidr));
      if (parsed === undefined)
        return failure(`${field}.principal.clientCIDRs[${j}]: "${cidr}" is not a CIDR`);
      clientCIDRs.push(parsed);
    }
    if (principal.jwt !== undefined && !providers.has(principal.jwt.provider))
      return failure(
        `${field}.principal.jwt.provider: "${principal.jwt.provider}" is not a JWT provider of this policy`,
      );
    const path = rule?.operation?.path;
    if (path !== undefined && path !== null) {
      const type = (path.type ?? 'PathPrefix') as NonNullable<AuthorizationRuleIR['path']>['type'];
      const error =
        (type === 'RegularExpression' ? re2Error(String(path.value)) : undefined) ??
        re2Error(authorizationPathRegex({ type, value: String(path.value ?? '/') }));
      if (error !== undefined)
        return failure(`${field}.operation.path.value: invalid regular expression: ${error}`);
    }
    rules.push({
      name: rule?.name ?? `${policy.metadata.namespace ?? ''}/${policy.metadata.name}/rule/${i}`,
      action: rule?.action === 'Allow' ? 'Allow' : 'Deny',
      methods: [...(rule?.operation?.methods ?? [])],
      ...(path === undefined
        ? {}
        : {
            path: {
              type: (path.type ?? 'PathPrefix') as 'Exact' | 'PathPrefix' | 'RegularExpression',
              value: String(path.value ?? '/'),
            },
          }),
      clientCIDRs,
      headers: (principal.headers ?? []).map((h) => ({
        name: String(h.name),
        values: [...(h.values ?? [])],
      })),
      ...(principal.jwt === undefined
        ? {}
        : {
            jwt: {
              provider: String(principal.jwt.provider),
              claims: (principal.jwt.claims ?? []).map((c) => ({
                name: String(c.name),
                valueType: c.valueType === 'StringArray' ? ('StringArray' as const) : ('String' as const),
                values: [...(c.values ?? [])],
              })),
              scopes: [...(principal.jwt.scopes ?? [])],
            },
          }),
    });
  }
  return { ok: true, value: { rules, defaultAction: spec.defaultAction === 'Allow' ? 'Allow' : 'Deny' } };
}

function parseCidr(text: string): { address: string; prefixLength: number } | undefined {
  const [address = '', length] = text.split('/');
  const family = isIP(address);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefixLength = length === undefined ? max : Number(length);
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) return undefined;
  return { address, prefixLength };
}

/** The regex an authorization rule's path becomes on the data plane: the path and any query string. */
export function authorizationPathRegex(path: NonNullable<AuthorizationRuleIR['path']>): string {
  const query = '(\\?.*)?';
  if (path.type === 'Exact') return `${escapeRegex(path.value)}${query}`;
  if (path.type === 'PathPrefix') {
    const prefix = path.value.replace(/\/+$/, '');
    return prefix === '' ? `/.*` : `${escapeRegex(prefix)}(/[^?]*)?${query}`;
  }
  return `(?:${path.value})${query}`;
}
