// Gateway API route matches read into backend-neutral pieces: the HTTP path and method, the header and query
// matches that count, and the request path a GRPCRoute method match selects. Each backend shapes these into its
// own match type and, where it must, its own precedence.
import type { GRPCRouteMatch, HTTPRouteMatch, HTTPValueMatch } from '../../model/resources/gateway-api.ts';
import { escapeRegex, grpcMethodRegex } from '../../model/shared/re2.ts';

export { escapeRegex };

/** One header or query match. */
export interface ValueMatch {
  readonly name: string;
  readonly value: string;
  readonly regex: boolean;
}

/** An HTTPRoute path match; `prefix` has no trailing slash ('' for '/'). */
export type HttpPath =
  | { readonly type: 'Exact'; readonly value: string }
  | { readonly type: 'RegularExpression'; readonly value: string }
  | { readonly type: 'PathPrefix'; readonly prefix: string };

/**
 * The request path a GRPCRoute method match selects (calls are POSTs to `/<service>/<method>`):
 * `Exact` is the full path, `Service` is `/<service>` (every method of it), `RegularExpression` and `Method`
 * (a method of any service) are regular expressions over the path. `AnyMethod` matches every path.
 */
export type GrpcPath =
  | { readonly type: 'AnyMethod' }
  | {
      readonly type: 'Exact' | 'Service' | 'RegularExpression' | 'Method';
      readonly path: string;
      readonly service: string;
      readonly method: string;
    };

export function httpPath(match: HTTPRouteMatch): HttpPath {
  const type = match.path?.type ?? 'PathPrefix';
  const value = match.path?.value ?? '/';
  if (type === 'Exact') return { type: 'Exact', value };
  if (type === 'RegularExpression') return { type: 'RegularExpression', value };
  return { type: 'PathPrefix', prefix: value.replace(/\/+$/, '') };
}

/** The method an HTTPRoute match requires, if any. */
export function httpMethod(match: HTTPRouteMatch): string | undefined {
  return typeof match.method === 'string' && match.method !== '' ? match.method : undefined;
}

export function grpcPath(match: GRPCRouteMatch): GrpcPath {
  const method = match.method;
  const service = method?.service ?? '';
  const name = method?.method ?? '';
  if (method === undefined || method === null || (service === '' && name === ''))
    return { type: 'AnyMethod' };
  const names = { service, method: name };
  if (method.type === 'RegularExpression') {
    return { type: 'RegularExpression', path: grpcMethodRegex(service, name), ...names };
  }
  if (service !== '' && name !== '') return { type: 'Exact', path: `/${service}/${name}`, ...names };
  if (service !== '') return { type: 'Service', path: `/${service}`, ...names };
  return { type: 'Method', path: `/[^/]+/${escapeRegex(name)}`, ...names };
}

/** Header and query matches; the spec says only the first of several with the same name counts. */
export function valueMatches(list: readonly HTTPValueMatch[] | undefined): ValueMatch[] {
  const seen = new Set<string>();
  const out: ValueMatch[] = [];
  for (const entry of Array.isArray(list) ? list : []) {
    if (typeof entry?.name !== 'string' || seen.has(entry.name.toLowerCase())) continue;
    seen.add(entry.name.toLowerCase());
    out.push({
      name: entry.name,
      value: String(entry.value ?? ''),
      regex: entry.type === 'RegularExpression',
    });
  }
  return out;
}
