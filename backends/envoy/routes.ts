// RouteConfigurations: virtual hosts per hostname, each with the Envoy routes of every rule match that serves
// that hostname, in the spec's precedence order. Backends become (weighted) clusters; invalid backends keep
// their share of the weight and answer 500 for it.

import type { BackendIR, ListenerIR, RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type { BackendTrafficIR } from '../../model/ir/traffic-policies.ts';
import type { HTTPRequestMirrorFilter } from '../../model/resources/gateway-api.ts';
import { hostnameCovers } from '../../model/shared/hostnames.ts';
import type { ListenerAddress } from '../shared/route-filters.ts';
import { aiGatewayRoutes, fallbackRouteAction } from './ai-gateway.ts';
import { type UpstreamHttp1, upstreamHttp1 } from './client-traffic.ts';
import type { ResolvedBackendIR } from './cluster-use.ts';
import type { ClusterAdditions, ClusterSet } from './clusters.ts';
import { protoDuration } from './duration.ts';
import {
  extensionDirectResponse,
  extensionFilters,
  extensionRewriteFields,
} from './envoy-gateway-filters.ts';
import type { Json } from './envoy-types.ts';
import { backendCredentialFields } from './filters/credential-injector.ts';
import { HTTP_FILTERS, type ServedRule } from './filters/index.ts';
import { inferenceBackendFields, pickerProblem } from './inference.ts';
import { mcpRoutes } from './mcp.ts';
import {
  backendFilterFields,
  collectRouteFilters,
  fraction,
  mirrorFraction,
  redirectAction,
  rewriteFields,
} from './route-filters.ts';
import {
  comparePrecedence,
  type TranslatedMatch,
  translateGrpcMatch,
  translateHttpMatch,
} from './route-matches.ts';
import { trafficRouteActionFields } from './route-traffic.ts';

interface RouteEntry {
  readonly precedence: readonly number[];
  readonly routes: readonly Json[];
}

const MATCH_ALL_HOSTS = '*';

/**
 * The virtual hosts of listeners sharing one route configuration. A hostname belongs to the most specific
 * listener covering it (listener isolation): routes another listener attached for that name are not served.
 */
export function translateVirtualHosts(
  listeners: readonly ListenerIR[],
  port: number,
  clusters: ClusterSet,
  kinds: ReadonlySet<string> = HTTP_KINDS,
  /** Proxyless clients run no policy filters: rules that need them are denied there (fail closed). */
  policyFilters = true,
): Json[] {
  const hosts = new Map<string, RouteEntry[]>();
  for (const listener of listeners) {
    const served = servedContext(listener, port, clusters, policyFilters);
    for (const route of listener.routes) {
      if (!kinds.has(route.kind)) continue;
      const hostnames = route.hostnames.length > 0 ? route.hostnames : [listener.hostname ?? MATCH_ALL_HOSTS];
      const entries = hostnames.some((h) => ownerOf(listeners, h) === listener)
        ? translatedRoute(route, listener, port, clusters, policyFilters, served)
        : [];
      for (const hostname of hostnames) {
        if (ownerOf(listeners, hostname) !== listener) continue;
        const list = hosts.get(hostname) ?? [];
        list.push(...entries);
        hosts.set(hostname, list);
      }
    }
  }
  return [...hosts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([hostname, entries]) => ({
      name: hostname,
      domains: [hostname],
      // Stable sort: equal precedence keeps route age order, then rule and match order.
      routes: entries
        .slice()
        .sort((a, b) => comparePrecedence(a.precedence, b.precedence))
        .flatMap((entry) => entry.routes),
    }));
}

export const HTTP_KINDS: ReadonlySet<string> = new Set(['HTTPRoute', 'GRPCRoute']);

function ownerOf(listeners: readonly ListenerIR[], hostname: string): ListenerIR | undefined {
  if (hostname === MATCH_ALL_HOSTS) return listeners.find((l) => l.hostname === undefined);
  return listeners.find((l) => l.hostname === undefined || hostnameCovers(l.hostname, hostname));
}

/**
 * A route's Envoy routes on a listener, per RouteIR object: the IR built again after one route changed holds the
 * same RouteIR objects for the others (build-gateway-ir.ts), so a Gateway's translation translates the changed
 * routes only — with every route on one Gateway, the cost of a change no longer grows with the routes' number.
 * Kept with what else the translation read (`servedContext`) and what it added to the ClusterSet, which is added
 * again to the Gateway's next set when the entries are taken from here.
 */
const translatedRoutes = new WeakMap<RouteIR, TranslatedRoute[]>();

interface TranslatedRoute {
  readonly served: string;
  readonly entries: readonly RouteEntry[];
  readonly additions: ClusterAdditions;
}

/** Translations kept per route: one per listener serving it, mostly; a few when several listeners do. */
const TRANSLATIONS_KEPT = 4;

/**
 * Everything a route's translation reads besides the RouteIR: the port, whether policy filters run, the Gateway's
 * backend client certificate (AI Gateway fallback clusters present it) and the listener's own fields (filters get
 * the served listener: per-listener rate limit buckets).
 */
function servedContext(
  listener: ListenerIR,
  port: number,
  clusters: ClusterSet,
  policyFilters: boolean,
): ServedContext {
  const { routes: _routes, ...own } = listener;
  const certificate = clusters.clientCertificate;
  return {
    text: JSON.stringify([
      port,
      policyFilters,
      typeof certificate === 'object' ? certificate.sdsSecret : (certificate ?? null),
      own,
    ]),
  };
}

/**
 * A listener's served context as text, compared with each kept translation's (a plain loop: a closure per route
 * for `find` cost more than the rest of the lookup at 10,000 routes). Once one matches, `text` becomes the kept
 * string itself: the translations kept from one earlier translation share that string, so the listener's other
 * routes compare by identity instead of character by character.
 */
interface ServedContext {
  text: string;
}

function translatedRoute(
  route: RouteIR,
  listener: ListenerIR,
  port: number,
  clusters: ClusterSet,
  policyFilters: boolean,
  served: ServedContext,
): readonly RouteEntry[] {
  const kept = translatedRoutes.get(route);
  let known: TranslatedRoute | undefined;
  const text = served.text;
  for (const translated of kept ?? []) {
    if (translated.served === text) {
      known = translated;
      break;
    }
  }
  if (known !== undefined) {
    served.text = known.served;
    clusters.replay(known.additions);
    return known.entries;
  }
  const { result: entries, additions } = clusters.recording(() =>
    routeEntries(route, listener, port, clusters, policyFilters),
  );
  const translated = { served: served.text, entries, additions };
  if (kept === undefined) translatedRoutes.set(route, [translated]);
  else kept.splice(0, Math.max(0, kept.length + 1 - TRANSLATIONS_KEPT), translated);
  return entries;
}

function routeEntries(
  route: RouteIR,
  served: ListenerIR,
  port: number,
  clusters: ClusterSet,
  policyFilters: boolean,
): RouteEntry[] {
  const listener: ListenerAddress = { port, scheme: served.protocol === 'HTTPS' ? 'https' : 'http' };
  const grpc = route.kind === 'GRPCRoute';
  const entries: RouteEntry[] = [];
  for (const rule of route.rules) {
    const matches = rule.matches.length > 0 ? rule.matches : [{}];
    matches.forEach((raw, m) => {
      const translated = grpc ? translateGrpcMatch(raw) : translateHttpMatch(raw);
      const name = `${route.route.namespace ?? ''}/${route.route.name}/rule/${rule.name ?? rule.index}/match/${m}`;
      const routes =
        rule.priorityFallback === undefined
          ? envoyRoutes(name, rule, translated, grpc, listener, clusters, upstreamHttp1(served.clientTraffic))
          : [
              {
                name,
                match: translated.match,
                ...(fallbackRouteAction(route, rule, clusters) ?? { directResponse: { status: 500 } }),
              },
            ];
      entries.push({
        precedence: translated.precedence,
        // The MCP proxy first: a policy that denies the rule then replaces its action (never the other way round).
        routes: aiGatewayRoutes(
          route,
          rule,
          withPolicies({ route, rule, listener: served }, mcpRoutes(route, rule, routes), policyFilters),
        ),
      });
    });
  }
  return entries;
}

/**
 * A rule's routes with what its policies need: a rule a policy denies answers that policy's status and never
 * reaches a backend; otherwise each filter's per-route config (the rule's own route filters, set by
 * `envoyRoutes`, win over a policy's CORS).
 */
function withPolicies(served: ServedRule, routes: readonly Json[], policyFilters: boolean): Json[] {
  // Filters may serve a rule without a policy too (an HTTPRouteFilter's credential injection).
  const policies = served.rule.policies;
  const denied =
    policies?.denied ??
    (!policyFilters &&
    (policies?.security !== undefined || policies?.extension !== undefined || needsFilters(policies?.traffic))
      ? { status: 500 }
      : undefined);
  if (denied !== undefined) {
    return routes.map((envoyRoute) => {
      const {
        route: _route,
        redirect: _redirect,
        directResponse: _direct,
        typedPerFilterConfig: _t,
        ...rest
      } = envoyRoute;
      return { ...rest, directResponse: { status: denied.status } };
    });
  }
  const perFilter: Json = {};
  const action: Json = {};
  for (const filter of HTTP_FILTERS) {
    Object.assign(perFilter, filter.routeConfig(served));
    const fields = filter.routeAction?.(served);
    if (fields !== undefined) mergeRouteAction(action, fields);
  }
  if (Object.keys(perFilter).length === 0 && Object.keys(action).length === 0) return [...routes];
  return routes.map((envoyRoute) => ({
    ...envoyRoute,
    ...(Object.keys(perFilter).length === 0
      ? {}
      : {
          typedPerFilterConfig: {
            ...perFilter,
            ...((envoyRoute.typedPerFilterConfig as Json | undefined) ?? {}),
          },
        }),
    // Only routes that forward have an action to add to (a redirect or direct response has none).
    ...(envoyRoute.route === undefined || Object.keys(action).length === 0
      ? {}
      : { route: { ...(envoyRoute.route as Json), ...action } }),
  }));
}

/** A traffic policy that only HTTP filters enforce (proxyless gRPC clients run none). */
function needsFilters(traffic: BackendTrafficIR | undefined): boolean {
  return (
    traffic?.rateLimit !== undefined ||
    traffic?.faultInjection !== undefined ||
    traffic?.responseOverrides !== undefined
  );
}

/** Filters' route action fields together; lists (rate limits of several filters) are concatenated. */
function mergeRouteAction(into: Json, fields: Json): void {
  for (const [key, value] of Object.entries(fields)) {
    const existing = into[key];
    into[key] = Array.isArray(existing) && Array.isArray(value) ? [...existing, ...value] : value;
  }
}

/** A weighted-cluster entry's fields: the backendRef's header filters, its picker, its credential injection. */
function backendFields(backend: ResolvedBackendIR): Json {
  const parts = [
    backendFilterFields(backend.filters),
    inferenceBackendFields(backend),
    backendCredentialFields(backend.filters),
  ];
  const perFilter = Object.assign(
    {},
    ...parts.map((p) => (p.typedPerFilterConfig as Json | undefined) ?? {}),
  );
  return {
    ...Object.assign({}, ...parts),
    ...(Object.keys(perFilter).length === 0 ? {} : { typedPerFilterConfig: perFilter }),
  };
}

function envoyRoutes(
  name: string,
  rule: RuleIR,
  translated: TranslatedMatch,
  grpc: boolean,
  listener: ListenerAddress,
  clusters: ClusterSet,
  http1: UpstreamHttp1 | undefined,
): Json[] {
  const filters = collectRouteFilters(rule.filters);
  const base = { name, match: translated.match, ...filters.routeFields };
  const extensions = extensionFilters(rule.filters);
  // A backendRef's HTTPRouteFilter that cannot be applied answers the rule 500, as the rule's own would.
  const backendProblem = rule.backends.some(
    (b) => b.kind !== 'Invalid' && extensionFilters(b.filters ?? []).some((f) => f.problem !== undefined),
  );
  const answered = backendProblem ? { directResponse: { status: 500 } } : extensionDirectResponse(extensions);
  if (answered !== undefined) return [withResponseHeaders(base, answered)];
  if (filters.redirect !== undefined) {
    return [{ ...base, redirect: redirectAction(filters.redirect, translated.prefix, listener) }];
  }
  const valid: { cluster: string; weight: number; fields: Json }[] = [];
  let invalidWeight = 0;
  for (const backend of rule.backends) {
    if (backend.weight <= 0) continue;
    if (backend.kind === 'Invalid' || pickerProblem(backend) !== undefined) invalidWeight += backend.weight;
    else
      valid.push({
        cluster: clusters.use(backend, grpc, rule.policies?.traffic?.cluster, http1),
        weight: backend.weight,
        fields: backendFields(backend),
      });
  }
  const validWeight = valid.reduce((sum, b) => sum + b.weight, 0);
  const serverError = { ...base, directResponse: { status: 500 } };
  if (validWeight === 0) return [serverError];

  const action: Json = {
    // A backend with its own filters needs a weighted-cluster entry to carry them, even when it is alone.
    ...(valid.length === 1 && Object.keys(valid[0]!.fields).length === 0
      ? { cluster: valid[0]!.cluster }
      : {
          weightedClusters: {
            clusters: valid.map((b) => ({ name: b.cluster, weight: b.weight, ...b.fields })),
          },
        }),
    ...(filters.rewrite === undefined ? {} : rewriteFields(filters.rewrite, translated.prefix)),
    ...extensionRewriteFields(extensions),
    ...mirrorPolicies(filters.mirrors, rule.mirrors, grpc, clusters),
    ...trafficRouteActionFields(rule, timeoutFields(rule)),
  };
  const forward = { ...base, route: action };
  if (invalidWeight === 0) return [forward];
  // Invalid backends keep their share: that fraction of matching requests is answered 500 first.
  const share = invalidWeight / (invalidWeight + validWeight);
  return [
    {
      ...serverError,
      name: `${name}/invalid-share`,
      match: { ...translated.match, runtimeFraction: { defaultValue: fraction(share) } },
    },
    forward,
  ];
}

function mirrorPolicies(
  filters: readonly HTTPRequestMirrorFilter[],
  backends: readonly BackendIR[],
  grpc: boolean,
  clusters: ClusterSet,
): Json {
  const policies: Json[] = [];
  backends.forEach((backend, i) => {
    if (backend.kind === 'Invalid') return;
    const share = filters[i] === undefined ? undefined : mirrorFraction(filters[i]);
    policies.push({
      cluster: clusters.use(backend, grpc),
      ...(share === undefined ? {} : { runtimeFraction: { defaultValue: share } }),
    });
  });
  return policies.length > 0 ? { requestMirrorPolicies: policies } : {};
}

/**
 * `timeouts.request` bounds the whole request (retries included); `timeouts.backendRequest` bounds each attempt,
 * and bounds the request too when it is the only timeout and nothing is retried. 0 disables a timeout.
 */
function timeoutFields(rule: RuleIR): Json {
  const request = rule.timeouts?.requestMs;
  const backendRequest = rule.timeouts?.backendRequestMs;
  const retry = rule.retry;
  const fields: Json = {};
  if (request !== undefined) fields.timeout = protoDuration(request);
  else if (backendRequest !== undefined && retry === undefined)
    fields.timeout = protoDuration(backendRequest);
  if (retry !== undefined || (backendRequest !== undefined && request !== undefined)) {
    const codes = retry?.codes ?? [];
    fields.retryPolicy = {
      retryOn:
        codes.length > 0
          ? 'connect-failure,refused-stream,retriable-status-codes'
          : 'connect-failure,refused-stream',
      numRetries: retry?.attempts ?? (retry === undefined ? 0 : 1),
      ...(codes.length > 0 ? { retriableStatusCodes: [...codes] } : {}),
      ...(retry?.backoffMs !== undefined && retry.backoffMs > 0
        ? { retryBackOff: { baseInterval: protoDuration(retry.backoffMs) } }
        : {}),
      ...(backendRequest !== undefined && backendRequest > 0
        ? { perTryTimeout: protoDuration(backendRequest) }
        : {}),
    };
  }
  return fields;
}

/** A route's own fields with `answer`'s, response headers of both kept (a header modifier's and a direct response's). */
function withResponseHeaders(base: Json, answer: Json): Json {
  const headers = [
    ...((base.responseHeadersToAdd as Json[] | undefined) ?? []),
    ...((answer.responseHeadersToAdd as Json[] | undefined) ?? []),
  ];
  return { ...base, ...answer, ...(headers.length === 0 ? {} : { responseHeadersToAdd: headers }) };
}
