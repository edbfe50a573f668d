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
} from '../../model/resources.ts';
import { FILTER, type Json, TYPE } from './envoy-types.ts';
import { escapeRegex } from './route-matches.ts';

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
const WELL_KNOWN_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

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
  const add = [
    ...(modifier?.set ?? []).map((h) => headerValue(h, 'OVERWRITE_IF_EXISTS_OR_ADD')),
    ...(modifier?.add ?? []).map((h) => headerValue(h, 'APPEND_IF_EXISTS_OR_ADD')),
  ];
  const remove = (modifier?.remove ?? []).filter((name) => typeof name === 'string');
  return {
    ...(add.length > 0 ? { [`${direction}HeadersToAdd`]: add } : {}),
    ...(remove.length > 0 ? { [`${direction}HeadersToRemove`]: remove } : {}),
  };
}

function headerValue(header: { name: string; value: string }, appendAction: string): Json {
  return { header: { key: String(header.name), value: String(header.value ?? '') }, appendAction };
}

/** Where a request arrived: the port and scheme of its listener, for redirects that keep them. */
export interface ListenerAddress {
  readonly port: number;
  readonly scheme: 'http' | 'https';
}

/** An Envoy RedirectAction; `prefix` is the matched path prefix when the match was a PathPrefix. */
export function redirectAction(
  redirect: HTTPRequestRedirectFilter,
  prefix: string | undefined,
  listener: ListenerAddress,
): Json {
  const action: Json = {
    responseCode: REDIRECT_CODES[redirect.statusCode ?? 302] ?? 'FOUND',
  };
  if (typeof redirect.scheme === 'string' && redirect.scheme !== '') action.schemeRedirect = redirect.scheme;
  if (typeof redirect.hostname === 'string' && redirect.hostname !== '')
    action.hostRedirect = redirect.hostname;
  // The spec's port rules: explicit port, else the scheme's well-known port, else the listener's port —
  // left out of Location when it is the scheme's well-known one (Host carries no port: stripAnyHostPort).
  const scheme = typeof redirect.scheme === 'string' && redirect.scheme !== '' ? redirect.scheme : undefined;
  const port =
    redirect.port ?? (scheme === undefined ? undefined : WELL_KNOWN_PORTS[scheme]) ?? listener.port;
  if (port !== WELL_KNOWN_PORTS[scheme ?? listener.scheme]) action.portRedirect = port;
  Object.assign(action, pathRewrite(redirect.path, prefix, 'redirect'));
  return action;
}

/** URLRewrite fields of an Envoy RouteAction. */
export function rewriteFields(rewrite: HTTPURLRewriteFilter, prefix: string | undefined): Json {
  return {
    ...(typeof rewrite.hostname === 'string' && rewrite.hostname !== ''
      ? { hostRewriteLiteral: rewrite.hostname }
      : {}),
    ...pathRewrite(rewrite.path, prefix, 'rewrite'),
  };
}

function pathRewrite(path: HTTPPathModifier | undefined, prefix: string | undefined, use: string): Json {
  if (path === undefined) return {};
  if (path.type === 'ReplaceFullPath') {
    const full = path.replaceFullPath ?? '/';
    return use === 'redirect'
      ? { pathRedirect: full }
      : { regexRewrite: { pattern: { regex: '^/.*$' }, substitution: full } };
  }
  if (path.type !== 'ReplacePrefixMatch') return {};
  const replacement = (path.replacePrefixMatch ?? '/').replace(/\/+$/, '');
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
  if (typeof mirror.percent === 'number') {
    return mirror.percent >= 100 ? undefined : fraction(mirror.percent / 100);
  }
  if (mirror.fraction !== undefined && typeof mirror.fraction.numerator === 'number') {
    const denominator = mirror.fraction.denominator ?? 100;
    if (denominator <= 0 || mirror.fraction.numerator >= denominator) return undefined;
    return fraction(mirror.fraction.numerator / denominator);
  }
  return undefined;
}

/** A share of requests (0..1) as Envoy's FractionalPercent per million. */
export function fraction(share: number): Json {
  return { numerator: Math.max(0, Math.round(share * 1_000_000)), denominator: 'MILLION' };
}

function corsPolicy(cors: HTTPCORSFilter): Json {
  const origins = (cors.allowOrigins ?? []).map(originMatcher);
  return {
    '@type': TYPE.corsPolicy,
    ...(origins.length > 0 ? { allowOriginStringMatch: origins } : {}),
    ...(cors.allowMethods?.length ? { allowMethods: cors.allowMethods.join(',') } : {}),
    ...(cors.allowHeaders?.length ? { allowHeaders: cors.allowHeaders.join(',') } : {}),
    ...(cors.exposeHeaders?.length ? { exposeHeaders: cors.exposeHeaders.join(',') } : {}),
    ...(typeof cors.maxAge === 'number' ? { maxAge: String(cors.maxAge) } : {}),
    ...(cors.allowCredentials === true ? { allowCredentials: true } : {}),
  };
}

function originMatcher(origin: string): Json {
  if (origin === '*') return { safeRegex: { regex: '.*' } };
  if (!origin.includes('*')) return { exact: origin };
  return { safeRegex: { regex: origin.split('*').map(escapeRegex).join('[^/]+') } };
}
