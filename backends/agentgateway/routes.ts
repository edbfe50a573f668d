// HTTPRoutes and GRPCRoutes: one agentgateway Route per (listener, route, rule), pointing to its listener by key.
// Hostnames are the route's on that listener (empty: any). A rule whose backends are all unusable answers 500;
// invalid backends keep their share of the weight and are answered 500 by agentgateway (see backends.ts).
import type { RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type { ListenerAddress } from '../shared/route-filters.ts';
import type { BackendSet } from './backends.ts';
import { routeKey, routeName } from './names.ts';
import { translateGrpcMatch, translateHttpMatch } from './route-matches.ts';
import { backendPolicies, rulePolicies } from './route-policies.ts';
import type { Json } from './types.ts';

export function translateHttpRoute(
  route: RouteIR,
  listenerKey: string,
  listener: ListenerAddress,
  backends: BackendSet,
): Json[] {
  return route.rules.map((rule) => translateRule(route, rule, listenerKey, listener, backends));
}

function translateRule(
  route: RouteIR,
  rule: RuleIR,
  listenerKey: string,
  listener: ListenerAddress,
  backends: BackendSet,
): Json {
  const key = routeKey(listenerKey, route, rule.index);
  const grpc = route.kind === 'GRPCRoute';
  const matches = grpc
    ? (rule.matches.length === 0 ? [{}] : rule.matches).map(translateGrpcMatch)
    : rule.matches.map(translateHttpMatch);
  const { policies, redirects } = rulePolicies(rule, listener, backends, key);
  const base: Json = {
    key,
    listenerKey,
    name: routeName(route, rule),
    ...(route.hostnames.length > 0 ? { hostnames: [...route.hostnames] } : {}),
    matches,
  };
  if (rule.filters.some((f) => (f as { type?: string } | null)?.type === 'ExtensionRef')) {
    // Envoy Gateway HTTPRouteFilters are Envoy's: the rule answers 500 rather than skip what the filter asks.
    backends.report(
      `${key}: Envoy Gateway HTTPRouteFilters are not supported by the agentgateway backend; the rule answers 500`,
    );
    return { ...base, trafficPolicies: [...policies, { directResponse: { status: 500 } }] };
  }
  const attached = policyKinds(rule);
  if (attached.length > 0) {
    // Envoy Gateway policies are not translated for agentgateway: a rule they protect or shape answers 500
    // rather than be served without them (fail closed).
    backends.report(
      `${key}: ${attached.join(', ')} attached to this rule are not supported by the agentgateway backend; the rule answers 500`,
    );
    return { ...base, trafficPolicies: [...policies, { directResponse: { status: 500 } }] };
  }
  if (redirects) return { ...base, trafficPolicies: policies };
  const routeBackends = backends.routeBackends(rule.backends, key, backendPolicies);
  const usable = rule.backends.some((b) => b.weight > 0 && b.kind !== 'Invalid');
  if (!usable) {
    // Nothing to forward to (no backendRefs, all invalid, or all weight 0): the spec's 500.
    return { ...base, trafficPolicies: [...policies, { directResponse: { status: 500 } }] };
  }
  return {
    ...base,
    backends: routeBackends,
    ...(policies.length > 0 ? { trafficPolicies: policies } : {}),
  };
}

const POLICY_KINDS = {
  security: 'SecurityPolicy',
  extension: 'EnvoyExtensionPolicy',
  traffic: 'BackendTrafficPolicy',
  denied: 'a refused policy',
} as const;

/** The policy families attached to a rule, by kind. */
function policyKinds(rule: RuleIR): string[] {
  const policies = rule.policies;
  if (policies === undefined) return [];
  return (Object.keys(POLICY_KINDS) as (keyof typeof POLICY_KINDS)[])
    .filter((family) => policies[family] !== undefined)
    .map((family) => POLICY_KINDS[family]);
}
