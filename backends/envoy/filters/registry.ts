// The HTTP filters policies add to a connection manager, as an ordered registry (the shape Envoy Gateway's
// xDS translator has): each filter is one file that knows three things — the filters it puts in a listener's
// chain for the rules that chain serves, the per-route config (and route action fields, such as rate limit
// actions) it gives one rule's Envoy routes, and the extra resources (clusters) it needs. A new policy feature is a new file and one line in HTTP_FILTERS, not an edit of
// the listener and route translators. The policy kinds never reach this folder: filters read the IR's fields.
import type { ListenerIR, RouteIR, RuleIR } from '../../../model/ir/gateway-ir.ts';
import type { SecurityIR } from '../../../model/ir/policies.ts';
import type { ClusterSet } from '../clusters.ts';
import type { Json } from '../envoy-types.ts';

/** Where the rate limit service is and what Envoy does when it cannot answer (ratelimit.ts). */
export interface RateLimitServiceOptions {
  /** host:port of its gRPC port. */
  readonly address: string;
  /** Refuse requests (500) when the service cannot answer, instead of letting them through. */
  readonly failClosed?: boolean;
  readonly timeoutMs?: number;
}

/** One rule of one route, as a listener chain serves it. */
export interface ServedRule {
  readonly route: RouteIR;
  readonly rule: RuleIR;
  /** The listener it is served on (per-route rate limit buckets are per listener, as Envoy Gateway's). */
  readonly listener?: ListenerIR;
}

export interface FilterContext {
  readonly clusters: ClusterSet;
  /** Clusters that are not a resolved backend (a JWKS URI's host), by name. */
  readonly extraClusters: Map<string, Json>;
  /** SDS secrets a filter's config names (a generic secret's credential), by name. */
  readonly secrets: Map<string, Json>;
  readonly problems: string[];
  /** The rate limit service global rate limits call (undefined: none configured). */
  readonly rateLimitService?: RateLimitServiceOptions;
  /** The rate limit service's descriptors the Gateway's global rules need, by bucket. */
  readonly rateLimitDescriptors: Map<string, Json>;
}

export interface HttpFilter {
  /** For reading and for problems; the Envoy filter names come from the filter itself. */
  readonly name: string;
  /** The HTTP filters this chain needs for the rules it serves, in order ([] when none needs it). */
  chainFilters(rules: readonly ServedRule[], context: FilterContext): Json[];
  /** `typedPerFilterConfig` entries for the Envoy routes of one rule ({} when the rule needs none). */
  routeConfig(served: ServedRule): Json;
  /** Fields of the route action of one rule's Envoy routes (e.g. `rateLimits`); none when absent. */
  routeAction?(served: ServedRule): Json;
}

/**
 * The rules a set of listeners (one connection manager) serves that a filter's `chainFilters` reads, HTTP kinds only.
 * Filters read a rule's policies, its session persistence and its own and its backendRefs' filters (HTTPRouteFilter
 * credentials): a rule with none of these needs no filter, and most rules at scale are such rules — with 10,000 on
 * one listener, every filter scanning them was a tenth of a route change. A filter that reads another field of a rule
 * names it in `carriesFilterInput`.
 */
export function servedRules(listeners: readonly ListenerIR[]): ServedRule[] {
  const out: ServedRule[] = [];
  for (const listener of listeners) {
    for (const route of listener.routes) {
      if (route.kind !== 'HTTPRoute' && route.kind !== 'GRPCRoute') continue;
      for (const rule of route.rules) if (carriesFilterInput(rule)) out.push({ route, rule, listener });
    }
  }
  return out;
}

/** Whether a rule has anything a filter's `chainFilters` reads (see `servedRules`). */
export function carriesFilterInput(rule: RuleIR): boolean {
  return (
    rule.policies !== undefined ||
    rule.sessionPersistence !== undefined ||
    rule.filters.length > 0 ||
    rule.backends.some((backend) => backend.kind !== 'Invalid' && (backend.filters?.length ?? 0) > 0)
  );
}

/** A rule's SecurityPolicy IR when it sets `field` (the part one filter translates), else undefined. */
export function securityWith<K extends keyof SecurityIR>(
  served: ServedRule,
  field: K,
): (SecurityIR & Required<Pick<SecurityIR, K>>) | undefined {
  const security = served.rule.policies?.security;
  return security?.[field] === undefined
    ? undefined
    : (security as SecurityIR & Required<Pick<SecurityIR, K>>);
}

/** A filter config carried as Any in proto3 JSON. */
export function typed(typeUrl: string, body: Json): Json {
  return { '@type': typeUrl, ...body };
}

const FILTER_CONFIG = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';

/** Per-route config that also enables a filter the chain has but keeps disabled by default. */
export function enabledWith(config: Json): Json {
  return { '@type': FILTER_CONFIG, config };
}

/**
 * Per-route config that only enables a filter the chain keeps disabled (for filters with no per-route config):
 * Envoy reads an empty `config` (no type URL) as "enabled", and refuses a FilterConfig without one.
 */
export function enabled(): Json {
  return { '@type': FILTER_CONFIG, config: {} };
}

/** A readable, stable, collision-free suffix for filter instances of one policy: `<namespace>/<name>`. */
export function policyFilterName(base: string, policy: { namespace?: string; name: string }): string {
  return `${base}/${policy.namespace ?? ''}/${policy.name}`;
}

/** Each distinct value once, in first-seen order, by a key. */
export function distinctBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) {
    const id = key(item);
    if (!seen.has(id)) seen.set(id, item);
  }
  return [...seen.values()];
}
