// HTTPRoute and GRPCRoute matches as Envoy RouteMatches, with the precedence key the spec orders them by:
// exact path > longest prefix > regular expression, then method, then most header and query matches.
import type { GRPCRouteMatch, HTTPRouteMatch, HTTPValueMatch } from '../../model/resources.ts';
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
  const type = match.path?.type ?? 'PathPrefix';
  const value = match.path?.value ?? '/';
  const headers = valueMatches(match.headers);
  if (typeof match.method === 'string' && match.method !== '') {
    headers.push({ name: ':method', stringMatch: { exact: match.method } });
  }
  const queryParameters = valueMatches(match.queryParams);
  const extras = {
    ...(headers.length > 0 ? { headers } : {}),
    ...(queryParameters.length > 0 ? { queryParameters } : {}),
  };
  const tail = [
    typeof match.method === 'string' && match.method !== '' ? 0 : 1,
    -(match.headers?.length ?? 0),
    -(match.queryParams?.length ?? 0),
  ];
  if (type === 'Exact') return { match: { path: value, ...extras }, precedence: [0, -value.length, ...tail] };
  if (type === 'RegularExpression') {
    return { match: { safeRegex: { regex: value }, ...extras }, precedence: [2, 0, ...tail] };
  }
  const prefix = value.replace(/\/+$/, '');
  return {
    match: prefix === '' ? { prefix: '/', ...extras } : { pathSeparatedPrefix: prefix, ...extras },
    prefix,
    precedence: [1, -prefix.length - 1, ...tail],
  };
}

export function translateGrpcMatch(raw: unknown): TranslatedMatch {
  const match = (raw ?? {}) as GRPCRouteMatch;
  const headers = valueMatches(match.headers);
  const extras = headers.length > 0 ? { headers } : {};
  const headerRank = -(match.headers?.length ?? 0);
  const method = match.method;
  const service = method?.service ?? '';
  const name = method?.method ?? '';
  if (method === undefined || (service === '' && name === '')) {
    return { match: { prefix: '/', ...extras }, precedence: [3, 0, 0, headerRank] };
  }
  const specificity = [-service.length, -name.length, headerRank];
  if (method.type === 'RegularExpression') {
    const regex = `/${service === '' ? '[^/]+' : service}/${name === '' ? '[^/]+' : name}`;
    return { match: { safeRegex: { regex }, ...extras }, precedence: [2, ...specificity] };
  }
  if (service !== '' && name !== '') {
    return { match: { path: `/${service}/${name}`, ...extras }, precedence: [0, ...specificity] };
  }
  if (service !== '')
    return { match: { prefix: `/${service}/`, ...extras }, precedence: [1, ...specificity] };
  return {
    match: { safeRegex: { regex: `/[^/]+/${escapeRegex(name)}` }, ...extras },
    precedence: [1, ...specificity],
  };
}

export function comparePrecedence(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Header and query matches; the spec says only the first of several with the same name counts. */
function valueMatches(list: readonly HTTPValueMatch[] | undefined): Json[] {
  const seen = new Set<string>();
  const out: Json[] = [];
  for (const entry of Array.isArray(list) ? list : []) {
    if (typeof entry?.name !== 'string' || seen.has(entry.name.toLowerCase())) continue;
    seen.add(entry.name.toLowerCase());
    const value = String(entry.value ?? '');
    out.push({
      name: entry.name,
      stringMatch: entry.type === 'RegularExpression' ? { safeRegex: { regex: value } } : { exact: value },
    });
  }
  return out;
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
