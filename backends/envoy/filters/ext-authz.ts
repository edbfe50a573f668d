// External authorization (SecurityPolicy `extAuth`): one ext_authz filter per policy (its service differs),
// disabled by default on the chain and enabled on the policy's rules. gRPC services get the Check API over
// HTTP/2; HTTP services get the request's method, path (prefixed) and the allowed headers, and a 2xx answer's
// listed headers are copied onto the request. An unreachable service fails closed (403, or `statusOnError`)
// unless the policy says `failOpen`.
import type { ExtAuthIR, SecurityIR } from '../../../model/ir/policies.ts';
import { protoDuration } from '../duration.ts';
import type { Json } from '../envoy-types.ts';
import { destinationCluster } from './destinations.ts';
import {
  distinctBy,
  enabledWith,
  type FilterContext,
  type HttpFilter,
  policyFilterName,
  type ServedRule,
  typed,
} from './registry.ts';

const EXT_AUTHZ_FILTER = 'envoy.filters.http.ext_authz';
const EXT_AUTHZ_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const PER_ROUTE_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';

type WithExtAuth = SecurityIR & { readonly extAuth: ExtAuthIR };

function extAuthOf(served: ServedRule): WithExtAuth | undefined {
  const security = served.rule.policies?.security;
  return security?.extAuth === undefined ? undefined : (security as WithExtAuth);
}

function instanceName(security: SecurityIR): string {
  return policyFilterName(EXT_AUTHZ_FILTER, security.policy);
}

export const extAuthzFilter: HttpFilter = {
  name: 'ext-authz',
  chainFilters(rules, context) {
    return distinctBy(
      rules.flatMap((served) => extAuthOf(served) ?? []),
      instanceName,
    )
      .sort((a, b) => (instanceName(a) < instanceName(b) ? -1 : 1))
      .map((security) => ({
        name: instanceName(security),
        disabled: true,
        typedConfig: typed(EXT_AUTHZ_TYPE, extAuthzConfig(security.extAuth, context)),
      }));
  },
  routeConfig(served) {
    const security = extAuthOf(served);
    if (security === undefined) return {};
    const contextExtensions = Object.fromEntries(
      security.extAuth.contextExtensions.map((entry) => [entry.name, entry.value]),
    );
    return {
      [instanceName(security)]: enabledWith(typed(PER_ROUTE_TYPE, { checkSettings: { contextExtensions } })),
    };
  },
};

function headerPatterns(names: readonly string[]): Json {
  return { patterns: names.map((name) => ({ exact: name.toLowerCase(), ignoreCase: true })) };
}

function extAuthzConfig(extAuth: ExtAuthIR, context: FilterContext): Json {
  const timeout = protoDuration(extAuth.timeoutMs);
  const common: Json = {
    transportApiVersion: 'V3',
    failureModeAllow: extAuth.failOpen,
    ...(extAuth.recomputeRoute ? { clearRouteCache: true } : {}),
    ...(extAuth.statusOnError === undefined ? {} : { statusOnError: { code: extAuth.statusOnError } }),
    ...(extAuth.maxRequestBytes === undefined
      ? {}
      : { withRequestBody: { maxRequestBytes: extAuth.maxRequestBytes, allowPartialMessage: false } }),
    ...(extAuth.headersToExtAuth.length > 0
      ? { allowedHeaders: headerPatterns(extAuth.headersToExtAuth) }
      : {}),
  };
  if (extAuth.protocol === 'GRPC') {
    const clusterName = destinationCluster(extAuth.destination, true, context);
    return { ...common, grpcService: { envoyGrpc: { clusterName, authority: 'ext-authz' }, timeout } };
  }
  const cluster = destinationCluster(extAuth.destination, false, context);
  return {
    ...common,
    httpService: {
      serverUri: { uri: `http://${cluster.replaceAll('/', '.')}`, cluster, timeout },
      ...(extAuth.path === undefined ? {} : { pathPrefix: extAuth.path }),
      ...(extAuth.headersToBackend.length > 0
        ? { authorizationResponse: { allowedUpstreamHeaders: headerPatterns(extAuth.headersToBackend) } }
        : {}),
    },
  };
}
