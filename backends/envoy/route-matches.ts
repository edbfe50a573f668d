// HTTPRoute and GRPCRoute matches as Envoy RouteMatches, with the precedence key the spec orders them by:
// exact path > longest prefix > regular expression, then method, then most header and query matches.
import type { GRPCRouteMatch, HTTPRouteMatch, HTTPValueMatch } from '../../model/resources/gateway-api.ts';
import { grpcPath, httpMethod, httpPath, valueMatches } from '../shared/route-matches.ts';
import type { Json } from './envoy-types.ts';

export interface TranslatedMatch {
  readonly match: Json;
  /** The path prefix this match selects ('' for '/'), when it is a PathPrefix match: rewrites need it. */
  readonly prefix?: string;
  /** Lower sorts first. Compared element by element. */
  readonly precedence: readonly number[];
}

export function translateHttpMatch(raw: unknown): TranslatedMatch {
  const match = (raw ?? {}) as HTTPRouteMatch;
  const path = httpPath(match);
  const method = httpMethod(match);
  const headers = envoyValueMatches(match.headers);
  if (method !== undefined) headers.push({ name: ':method', stringMatch: { exact: method } });
  const queryParameters = envoyValueMatches(match.queryParams);
  const extras = {
    ...(headers.length > 0 ? { headers } : {}),
    ...(queryParameters.length > 0 ? { queryParameters } : {}),
  };
  const tail = [
    method !== undefined ? 0 : 1,
    -(match.headers?.length ?? 0),
    -(match.queryParams?.length ?? 0),
  ];
  if (path.type === 'Exact') {
    return { match: { path: path.value, ...extras }, precedence: [0, -path.value.length, ...tail] };
  }
  if (path.type === 'RegularExpression') {
    return { match: { safeRegex: { regex: path.value }, ...extras }, precedence: [2, 0, ...tail] };
  }
  const prefix = path.prefix;
  return {
    match: prefix === '' ? { prefix: '/', ...extras } : { pathSeparatedPrefix: prefix, ...extras },
    prefix,
    precedence: [1, -prefix.length - 1, ...tail],
  };
}

export function translateGrpcMatch(raw: unknown): TranslatedMatch {
  const match = (raw ?? {}) as GRPCRouteMatch;
  const headers = envoyValueMatches(match.headers);
  const extras = headers.length > 0 ? { headers } : {};
  const headerRank = -(match.headers?.length ?? 0);
  const path = grpcPath(match);
  if (path.type === 'AnyMethod')
    return { match: { prefix: '/', ...extras }, precedence: [3, 0, 0, headerRank] };
  const specificity = [-path.service.length, -path.method.length, headerRank];
  switch (path.type) {
    case 'RegularExpression':
      return { match: { safeRegex: { regex: path.path }, ...extras }, precedence: [2, ...specificity] };
    case 'Exact':
      return { match: { path: path.path, ...extras }, precedence: [0, ...specificity] };
    case 'Service':
      return { match: { prefix: `${path.path}/`, ...extras }, precedence: [1, ...specificity] };
    case 'Method':
      return { match: { safeRegex: { regex: path.path }, ...extras }, precedence: [1, ...specificity] };
  }
}

export function comparePrecedence(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Header and query matches as Envoy HeaderMatchers / QueryParameterMatchers. */
function envoyValueMatches(list: readonly HTTPValueMatch[] | undefined): Json[] {
  return valueMatches(list).map((entry) => ({
    name: entry.name,
    stringMatch: entry.regex ? { safeRegex: { regex: entry.value } } : { exact: entry.value },
  }));
}
