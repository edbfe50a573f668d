// Envoy Gateway HTTPRouteFilters on an Envoy route: a direct response (status, body, response headers), a regex
// path rewrite, Host rewrites (from a header, the backend's hostname, the path) and X-Forwarded-Host. A filter the
// model could not resolve makes the rule answer 500, as Envoy Gateway answers it.
import type { ExtensionRefFilterIR, HTTPRouteFilterIR } from '../../model/ir/envoy-gateway.ts';
import type { Json } from './envoy-types.ts';

/** The resolved HTTPRouteFilters among a rule's filters, in order. */
export function extensionFilters(filters: readonly unknown[]): readonly ExtensionRefFilterIR[] {
  return filters.filter(
    (f): f is ExtensionRefFilterIR =>
      (f as ExtensionRefFilterIR)?.type === 'ExtensionRef' &&
      ((f as ExtensionRefFilterIR).httpRouteFilter !== undefined ||
        (f as ExtensionRefFilterIR).problem !== undefined),
  );
}

/**
 * The route's answer when an HTTPRouteFilter replaces forwarding: 500 for one that cannot be applied, or its
 * direct response (fields of an Envoy Route). Undefined when the rule forwards.
 */
export function extensionDirectResponse(filters: readonly ExtensionRefFilterIR[]): Json | undefined {
  if (filters.some((f) => f.problem !== undefined)) return { directResponse: { status: 500 } };
  const direct = filters.find((f) => f.httpRouteFilter?.directResponse !== undefined)?.httpRouteFilter
    ?.directResponse;
  if (direct === undefined) return undefined;
  const headers = [
    ...direct.headers.set.map((h) => header(h, 'OVERWRITE_IF_EXISTS_OR_ADD')),
    ...direct.headers.add.map((h) => header(h, 'APPEND_IF_EXISTS_OR_ADD')),
  ];
  return {
    directResponse: {
      status: direct.status,
      ...(direct.body === undefined ? {} : { body: { inlineString: direct.body } }),
    },
    ...(headers.length === 0 ? {} : { responseHeadersToAdd: headers }),
  };
}

/** RouteAction fields of the HTTPRouteFilters' rewrites. */
export function extensionRewriteFields(filters: readonly ExtensionRefFilterIR[]): Json {
  const fields: Json = {};
  for (const filter of filters) {
    const spec = filter.httpRouteFilter as HTTPRouteFilterIR | undefined;
    if (spec === undefined) continue;
    if (spec.pathRegexRewrite !== undefined) {
      fields.regexRewrite = {
        pattern: { regex: spec.pathRegexRewrite.pattern },
        substitution: spec.pathRegexRewrite.substitution,
      };
    }
    const host = spec.hostRewrite;
    if (host !== undefined) {
      if ('header' in host) fields.hostRewriteHeader = host.header;
      else if ('backend' in host) fields.autoHostRewrite = true;
      else
        fields.hostRewritePathRegex = {
          pattern: { regex: host.pathRegex.pattern },
          substitution: host.pathRegex.substitution,
        };
      // Envoy Gateway appends the original Host to X-Forwarded-Host unless told not to.
      fields.appendXForwardedHost = spec.appendXForwardedHost ?? true;
    }
  }
  return fields;
}

function header(h: { name: string; value: string }, appendAction: string): Json {
  return { header: { key: h.name, value: h.value }, appendAction };
}
