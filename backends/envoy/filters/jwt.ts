// JWT authentication: one jwt_authn filter per chain holding the providers of every SecurityPolicy its rules
// use, and a named requirement per policy; each rule's routes name their policy's requirement. Routes without
// one are not checked. A requirement name the filter does not know is answered 403 by Envoy, never let through.
// Verified payloads go to dynamic metadata under the provider's name (for authorization on claims and scopes),
// with `scope`/`scp` split into lists.
import type { JwtIR, JwtProviderIR, SecurityIR } from '../../../model/ir/policies.ts';
import { protoDuration } from '../duration.ts';
import type { Json } from '../envoy-types.ts';
import { destinationCluster } from './destinations.ts';
import { distinctBy, type FilterContext, type HttpFilter, type ServedRule, typed } from './registry.ts';

export const JWT_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_METADATA_NAMESPACE = JWT_FILTER;
const JWT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication';
const PER_ROUTE_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig';
const JWKS_FETCH_TIMEOUT_MS = 10_000;

type WithJwt = SecurityIR & { readonly jwt: JwtIR };

function jwtOf(served: ServedRule): WithJwt | undefined {
  const security = served.rule.policies?.security;
  return security?.jwt === undefined ? undefined : (security as WithJwt);
}

export function requirementName(security: SecurityIR): string {
  return `${security.policy.namespace ?? ''}/${security.policy.name}`;
}

function providerKey(security: SecurityIR, provider: JwtProviderIR): string {
  return `${requirementName(security)}/${provider.name}`;
}

export const jwtFilter: HttpFilter = {
  name: 'jwt',
  chainFilters(rules, context) {
    const policies = distinctBy(
      rules.flatMap((served) => {
        const security = jwtOf(served);
        return security === undefined ? [] : [security];
      }),
      requirementName,
    );
    if (policies.length === 0) return [];
    const providers: Json = {};
    const requirementMap: Json = {};
    for (const security of policies) {
      const names: Json[] = [];
      for (const provider of security.jwt.providers) {
        const key = providerKey(security, provider);
        providers[key] = jwtProvider(provider, context);
        names.push({ providerName: key });
      }
      if (security.jwt.failOpen) names.push({ allowMissingOrFailed: {} });
      else if (security.jwt.optional) names.push({ allowMissing: {} });
      requirementMap[requirementName(security)] =
        names.length === 1 ? names[0]! : { requiresAny: { requirements: names } };
    }
    return [{ name: JWT_FILTER, typedConfig: typed(JWT_TYPE, { providers, requirementMap }) }];
  },
  routeConfig(served) {
    const security = jwtOf(served);
    if (security === undefined) return {};
    return { [JWT_FILTER]: typed(PER_ROUTE_TYPE, { requirementName: requirementName(security) }) };
  },
};

function jwtProvider(provider: JwtProviderIR, context: FilterContext): Json {
  const extract = provider.extractFrom;
  return {
    ...(provider.issuer === undefined ? {} : { issuer: provider.issuer }),
    ...(provider.audiences.length > 0 ? { audiences: [...provider.audiences] } : {}),
    forward: true,
    payloadInMetadata: provider.name,
    normalizePayloadInMetadata: { spaceDelimitedClaims: ['scope', 'scp'] },
    ...(provider.claimToHeaders.length > 0
      ? { claimToHeaders: provider.claimToHeaders.map((c) => ({ headerName: c.header, claimName: c.claim })) }
      : {}),
    ...(provider.recomputeRoute ? { clearRouteCache: true } : {}),
    ...(extract === undefined
      ? {}
      : {
          fromHeaders: extract.headers.map((h) => ({
            name: h.name,
            ...(h.valuePrefix === undefined ? {} : { valuePrefix: h.valuePrefix }),
          })),
          fromCookies: [...extract.cookies],
          fromParams: [...extract.params],
        }),
    ...jwksSource(provider, context),
  };
}

function jwksSource(provider: JwtProviderIR, context: FilterContext): Json {
  const jwks = provider.jwks;
  if (jwks.kind === 'local') return { localJwks: { inlineString: jwks.inline } };
  const cluster = destinationCluster(jwks.destination, false, context);
  return {
    remoteJwks: {
      httpUri: { uri: jwks.uri, cluster, timeout: protoDuration(JWKS_FETCH_TIMEOUT_MS) },
      ...(jwks.cacheDurationMs === undefined ? {} : { cacheDuration: protoDuration(jwks.cacheDurationMs) }),
      asyncFetch: {
        ...(jwks.failedRefetchMs === undefined
          ? {}
          : { failedRefetchDuration: protoDuration(jwks.failedRefetchMs) }),
      },
    },
  };
}
