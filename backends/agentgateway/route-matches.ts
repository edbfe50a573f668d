// HTTPRoute and GRPCRoute matches as agentgateway RouteMatches. The IR has filled in the spec defaults (path
// PathPrefix '/', header and query type Exact, gRPC method type Exact); agentgateway orders routes by the spec's
// precedence itself, so matches are translated one to one.
import type { GRPCRouteMatch, HTTPRouteMatch, HTTPValueMatch } from '../../model/resources.ts';
import type { Json } from './types.ts';

export function translateHttpMatch(raw: unknown): Json {
  const match = (raw ?? {}) as HTTPRouteMatch;
  const type = match.path?.type ?? 'PathPrefix';
  const value = match.path?.value ?? '/';
  const headers = valueMatches(match.headers);
  const query = valueMatches(match.queryParams);
  const extras: Json = {
    ...(headers.length > 0 ? { headers } : {}),
    ...(typeof match.method === 'string' && match.method !== '' ? { method: { exact: match.method } } : {}),
    ...(query.length > 0 ? { queryParams: query } : {}),
  };
  if (type === 'Exact') return { path: { exact: value }, ...extras };
  if (type === 'RegularExpression') return { path: { regex: value }, ...extras };
  const prefix = value.replace(/\/+$/, '');
  return { path: { pathPrefix: prefix === '' ? '/' : prefix }, ...extras };
}

/** gRPC calls are POSTs to `/<service>/<method>`: a method match is a path match. */
export function translateGrpcMatch(raw: unknown): Json {
  const match = (raw ?? {}) as GRPCRouteMatch;
  const headers = valueMatches(match.headers);
  const extras: Json = headers.length > 0 ? { headers } : {};
  const method = match.method;
  const service = method?.service ?? '';
  const name = method?.method ?? '';
  if (method === undefined || method === null || (service === '' && name === '')) {
    return { path: { pathPrefix: '/' }, ...extras };
  }
  if (method.type === 'RegularExpression') {
    const regex = `/${service === '' ? '[^/]+' : service}/${name === '' ? '[^/]+' : name}`;
    return { path: { regex }, ...extras };
  }
  if (service !== '' && name !== '') return { path: { exact: `/${service}/${name}` }, ...extras };
  if (service !== '') return { path: { pathPrefix: `/${service}` }, ...extras };
  return { path: { regex: `/[^/]+/${escapeRegex(name)}` }, ...extras };
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
      ...(entry.type === 'RegularExpression' ? { regex: value } : { exact: value }),
    });
  }
  return out;
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
