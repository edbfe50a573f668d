// HTTPRoute and GRPCRoute matches as agentgateway RouteMatches. The IR has filled in the spec defaults (path
// PathPrefix '/', header and query type Exact, gRPC method type Exact); agentgateway orders routes by the spec's
// precedence itself, so matches are translated one to one.
import type { GRPCRouteMatch, HTTPRouteMatch, HTTPValueMatch } from '../../model/resources/gateway-api.ts';
import { grpcPath, httpMethod, httpPath, valueMatches } from '../shared/route-matches.ts';
import type { Json } from './types.ts';

export function translateHttpMatch(raw: unknown): Json {
  const match = (raw ?? {}) as HTTPRouteMatch;
  const path = httpPath(match);
  const method = httpMethod(match);
  const headers = agentgatewayValueMatches(match.headers);
  const query = agentgatewayValueMatches(match.queryParams);
  const extras: Json = {
    ...(headers.length > 0 ? { headers } : {}),
    ...(method === undefined ? {} : { method: { exact: method } }),
    ...(query.length > 0 ? { queryParams: query } : {}),
  };
  if (path.type === 'Exact') return { path: { exact: path.value }, ...extras };
  if (path.type === 'RegularExpression') return { path: { regex: path.value }, ...extras };
  return { path: { pathPrefix: path.prefix === '' ? '/' : path.prefix }, ...extras };
}

/** gRPC calls are POSTs to `/<service>/<method>`: a method match is a path match. */
export function translateGrpcMatch(raw: unknown): Json {
  const match = (raw ?? {}) as GRPCRouteMatch;
  const headers = agentgatewayValueMatches(match.headers);
  const extras: Json = headers.length > 0 ? { headers } : {};
  const path = grpcPath(match);
  switch (path.type) {
    case 'AnyMethod':
      return { path: { pathPrefix: '/' }, ...extras };
    case 'Exact':
      return { path: { exact: path.path }, ...extras };
    case 'Service':
      return { path: { pathPrefix: path.path }, ...extras };
    case 'RegularExpression':
    case 'Method':
      return { path: { regex: path.path }, ...extras };
  }
}

/** Header and query matches as agentgateway HeaderMatches / QueryMatches. */
function agentgatewayValueMatches(list: readonly HTTPValueMatch[] | undefined): Json[] {
  return valueMatches(list).map((entry) => ({
    name: entry.name,
    ...(entry.regex ? { regex: entry.value } : { exact: entry.value }),
  }));
}
