// HTTPRoutes and GRPCRoutes: one agentgateway Route per (listener, route, rule), pointing to its listener by key.
// Hostnames are the route's on that listener (empty: any). A rule whose backends are all unusable answers 500;
// invalid backends keep their share of the weight and are answered 500 by agentgateway (see backends.ts).
import type { ExtensionRefFilterIR } from '../../model/ir/envoy-gateway.ts';
import type { RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type { ListenerAddress } from '../shared/route-filters.ts';
import type { BackendSet } from './backends.ts';
import { routeKey, routeName } from './names.ts';
import { rulePolicyResources, unsupportedText } from './policies/index.ts';
import { translateGrpcMatch, translateHttpMatch } from './route-matches.ts';
import { backendPolicies, http2Policies, rulePolicies } from './route-policies.ts';
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
  const { policies: filterPolicies, redirects } = rulePolicies(rule, listener, backends, key);
  const policies = [...filterPolicies];
  const base: Json = {
    key,
    listenerKey,
    name: routeName(route, rule),
    ...(route.hostnames.length > 0 ? { hostnames: [...route.hostnames] } : {}),
    matches,
  };
  const extensionRefs = rule.filters.flatMap((filter, i) => {
    const ref =
      (filter as ExtensionRefFilterIR | null)?.type === 'ExtensionRef'
        ? (filter as ExtensionRefFilterIR)
        : undefined;
    return ref === undefined
      ? []
      : [
          `spec.rules[${rule.index}].filters[${i}].extensionRef: ${ref.extensionRef.kind} ${route.route.namespace ?? ''}/${ref.extensionRef.name}`,
        ];
  });
  if (extensionRefs.length > 0) {
    // Envoy Gateway HTTPRouteFilters are not translated for agentgateway: the rule answers 500 rather than skip
    // what the filter asks, and the route's status names the filter and the data plane (UnsupportedValue).
    backends.refuse({
      route: route.route,
      rule: rule.index,
      severity: 'dropped',
      message: `the agentgateway data plane answers this rule 500: ${extensionRefs.join('; ')}: not translated for agentgateway`,
    });
    return { ...base, trafficPolicies: [...policies, { directResponse: { status: 500 } }] };
  }
  if (rule.sessionPersistence !== undefined) {
    // Not a security setting: the rule is served, balanced per request, and the route's status says so.
    backends.refuse({
      route: route.route,
      rule: rule.index,
      severity: 'warning',
      message: 'the agentgateway data plane serves this rule without its sessionPersistence (not translated)',
    });
  }
  const policy = rulePolicyResources(rule, { owner: key, backends });
  if (policy.denied !== undefined) {
    // A policy the model could not enforce (a missing Secret, JWKS backend, ...): answered as on Envoy.
    return { ...base, trafficPolicies: [...policies, { directResponse: { status: policy.denied } }] };
  }
  if (policy.unsupported.length > 0) {
    // A policy value agentgateway cannot express: the rule answers 500 rather than be served without it, and the
    // route's status names the value and the data plane (UnsupportedValue).
    backends.refuse({
      route: route.route,
      rule: rule.index,
      severity: 'dropped',
      message: `the agentgateway data plane answers this rule 500: ${policy.unsupported.map(unsupportedText).join('; ')}`,
    });
    return { ...base, trafficPolicies: [...policies, { directResponse: { status: 500 } }] };
  }
  policies.push(...policy.traffic);
  if (redirects) return { ...base, trafficPolicies: policies };
  const routeBackends = backends.routeBackends(
    rule.backends,
    key,
    (backend) => [...backendPolicies(backend), ...policy.backend, ...http2Policies(grpc, backend)],
    true,
    { route: route.route, rule: rule.index },
  );
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
