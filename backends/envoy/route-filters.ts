// HTTPRoute/GRPCRoute filters as Envoy route fields: header modifiers, redirects, URL rewrites, request
// mirrors and CORS. Filters the IR keeps but Envoy cannot express are reported, not dropped silently.
import type {
  HTTPCORSFilter,
  HTTPHeaderFilter,
  HTTPPathModifier,
  HTTPRequestMirrorFilter,
  HTTPRequestRedirectFilter,
  HTTPRouteFilter,
  HTTPURLRewriteFilter,
} from '../../model/resources/gateway-api.ts';
import { escapeRegex, wildcardOriginRegex } from '../../model/shared/re2.ts';
import {
  type Header,
  headerEdits,
  type ListenerAddress,
  mirrorShare,
  nonEmpty,
  pathEdit,
  redirectTarget,
} from '../shared/route-filters.ts';
import { FILTER, type Json, TYPE } from './envoy-types.ts';

export interface RouteFilters {
  /** Fields set on the Envoy Route itself (header modifiers, CORS). */
  readonly routeFields: Json;
  readonly redirect?: HTTPRequestRedirectFilter;
  readonly rewrite?: HTTPURLRewriteFilter;
  /** RequestMirror filters in order; the IR's `mirrors` resolve their backendRefs in the same order. */
  readonly mirrors: readonly HTTPRequestMirrorFilter[];
}

const REDIRECT_CODES: Readonly<Record<number, string>> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

export function collectRouteFilters(filters: readonly unknown[]): RouteFilters {
  const fields: Json = {};
  let redirect: HTTPRequestRedirectFilter | undefined;
  let rewrite: HTTPURLRewriteFilter | undefined;
  const mirrors: HTTPRequestMirrorFilter[] = [];
  for (const raw of filters) {
    const filter = (raw ?? {}) as HTTPRouteFilter;
    switch (filter.type) {
      case 'RequestHeaderModifier':
        Object.assign(fields, headerModifier(filter.requestHeaderModifier, 'request'));
        break;
      case 'ResponseHeaderModifier':
        Object.assign(fields, headerModifier(filter.responseHeaderModifier, 'response'));
        break;
      case 'RequestRedirect':
        redirect = filter.requestRedirect ?? {};
        break;
      case 'URLRewrite':
        rewrite = filter.urlRewrite ?? {};
        break;
      case 'RequestMirror':
        if (filter.requestMirror !== undefined) mirrors.push(filter.requestMirror);
        break;
      case 'CORS':
        fields.typedPerFilterConfig = { [FILTER.cors]: corsPolicy(filter.cors ?? {}) };
        break;
    }
  }
  return {
    routeFields: fields,
    ...(redirect === undefined ? {} : { redirect }),
    ...(rewrite === undefined ? {} : { rewrite }),
    mirrors,
  };
}

/**
 * A backendRef's own filters as fields of its Envoy weighted-cluster entry: only header modifiers reach here (the
 * model refuses other types on a backendRef).
 */
export function backendFilterFields(filters: readonly unknown[] | undefined): Json {
  const fields: Json = {};
  for (const raw of filters ?? []) {
    const filter = (raw ?? {}) as HTTPRouteFilter;
    if (filter.type === 'RequestHeaderModifier')
      Object.assign(fields, headerModifier(filter.requestHeaderModifier, 'request'));
    else if (filter.type === 'ResponseHeaderModifier')
      Object.assign(fields, headerModifier(filter.responseHeaderModifier, 'response'));
  }
  return fields;
}

function headerModifier(modifier: HTTPHeaderFilter | undefined, direction: 'request' | 'response'): Json {
  const edits = headerEdits(modifier);
  const add = [
    ...edits.set.map((h) => headerValue(h, 'OVERWRITE_IF_EXISTS_OR_ADD')),
    ...edits.add.map((h) => headerValue(h, 'APPEND_IF_EXISTS_OR_ADD')),
  ];
  const remove = edits.remove;
  return {
    ...(add.length > 0 ? { [`${direction}HeadersToAdd`]: add } : {}),
    ...(remove.length > 0 ? { [`${direction}HeadersToRemove`]: remove } : {}),
  };
}

function headerValue(header: Header, appendAction: string): Json {
  return { header: { key: header.name, value: header.value }, appendAction };
}

/** An Envoy RedirectAction; `prefix` is the matched path prefix when the match was a PathPrefix. */
export function redirectAction(
  redirect: HTTPRequestRedirectFilter,
  prefix: string | undefined,
  listener: ListenerAddress,
): Json {
  const target = redirectTarget(redirect, listener);
  const action: Json = { responseCode: REDIRECT_CODES[target.statusCode] ?? 'FOUND' };
  if (target.scheme !== undefined) action.schemeRedirect = target.scheme;
  if (target.hostname !== undefined) action.hostRedirect = target.hostname;
  // A port left out of Location is the scheme's well-known one (redirectTarget leaves out only that one).
  if (target.port !== undefined) action.portRedirect = target.port;
  Object.assign(action, pathRewrite(redirect.path, prefix, 'redirect'));
  return action;
}

/** URLRewrite fields of an Envoy RouteAction. */
export function rewriteFields(rewrite: HTTPURLRewriteFilter, prefix: string | undefined): Json {
  const hostname = nonEmpty(rewrite.hostname);
  return {
    ...(hostname === undefined ? {} : { hostRewriteLiteral: hostname }),
    ...pathRewrite(rewrite.path, prefix, 'rewrite'),
  };
}

function pathRewrite(path: HTTPPathModifier | undefined, prefix: string | undefined, use: string): Json {
  const edit = pathEdit(path);
  if (edit === undefined) return {};
  if (edit.type === 'ReplaceFullPath') {
    return use === 'redirect'
      ? { pathRedirect: edit.path }
      : { regexRewrite: { pattern: { regex: '^/.*$' }, substitution: edit.path } };
  }
  const replacement = edit.replacement.replace(/\/+$/, '');
  const matched = prefix ?? '';
  // Envoy's prefix_rewrite would leave a double slash when the replacement is '/', and a '/' prefix
  // would glue the replacement to the rest: both cases are a regex rewrite of the leading part.
  if (matched === '') {
    return { regexRewrite: { pattern: { regex: '^/' }, substitution: `${replacement}/` } };
  }
  if (replacement === '') {
    return { regexRewrite: { pattern: { regex: `^${escapeRegex(matched)}/*` }, substitution: '/' } };
  }
  return { prefixRewrite: replacement };
}

/** A request mirror's share, as a RuntimeFractionalPercent (absent means every request). */
export function mirrorFraction(mirror: HTTPRequestMirrorFilter): Json | undefined {
  const share = mirrorShare(mirror);
  if (share === undefined) return undefined;
  return fraction('percent' in share ? share.percent / 100 : share.numerator / share.denominator);
}

/** A share of requests (0..1) as Envoy's FractionalPercent per million. */
export function fraction(share: number): Json {
  return { numerator: Math.max(0, Math.round(share * 1_000_000)), denominator: 'MILLION' };
}

export function corsPolicy(cors: HTTPCORSFilter): Json {
  const origins = (cors.allowOrigins ?? []).map(originMatcher);
  return {
    '@type': TYPE.corsPolicy,
    ...(origins.length > 0 ? { allowOriginStringMatch: origins } : {}),
    ...(cors.allowMethods?.length ? { allowMethods: cors.allowMethods.join(',') } : {}),
    ...(cors.allowHeaders?.length ? { allowHeaders: cors.allowHeaders.join(',') } : {}),
    ...(cors.exposeHeaders?.length ? { exposeHeaders: cors.exposeHeaders.join(',') } : {}),
    ...(typeof cors.maxAge === 'number' ? { maxAge: String(cors.maxAge) } : {}),
    ...(cors.allowCredentials === true ? { allowCredentials: true } : {}),
    // A preflight from an origin the policy does not allow is answered here, without CORS headers, rather than
    // forwarded: the backend is not the one to answer it (conformance: HTTPRouteCORS).
    forwardNotMatchingPreflights: false,
  };
}

function originMatcher(origin: string): Json {
  if (!origin.includes('*')) return { exact: origin };
  return { safeRegex: { regex: wildcardOriginRegex(origin) } };
}
