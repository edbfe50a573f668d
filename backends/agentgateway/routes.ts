// HTTPRoutes and GRPCRoutes: one agentgateway Route per (listener, route, rule), pointing to its listener by key.
// Hostnames are the route's on that listener (empty: any). A rule whose backends are all unusable answers 500;
// invalid backends keep their share of the weight and are answered 500 by agentgateway (see backends.ts).
import type { RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type { ListenerAddress } from '../shared/route-filters.ts';
import type { BackendSet } from './backends.ts';
import { extensionFilterPolicies } from './envoy-gateway-filters.ts';
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
  const base: Json = {
    key,
    listenerKey,
    name: routeName(route, rule),
    ...(route.hostnames.length > 0 ? { hostnames: [...route.hostnames] } : {}),
    matches,
  };
  const extension = extensionFilterPolicies(route, rule, filterPolicies);
  if ('unresolved' in extension) {
    // The model named the filter it could not resolve on the route; answered as on Envoy.
    return { ...base, trafficPolicies: [...filterPolicies, { directResponse: { status: 500 } }] };
  }
  if ('unsupported' in extension) {
    // What agentgateway cannot do of an Envoy Gateway HTTPRouteFilter: the rule answers 500 rather than skip it,
    // and the route's status names the filter's field and the data plane (UnsupportedValue).
    backends.refuse({
      route: route.route,
      rule: rule.index,
      severity: 'dropped',
      message: `the agentgateway data plane answers this rule 500: ${extension.unsupported.join('; ')}`,
    });
    return { ...base, trafficPolicies: [...filterPolicies, { directResponse: { status: 500 } }] };
  }
  const policies = [...extension.policies];
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
  // An HTTPRouteFilter's direct response answers after the rule's policies (authentication first), as on Envoy.
  if (extension.directResponse !== undefined)
    return { ...base, trafficPolicies: [...policies, extension.directResponse] };
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
