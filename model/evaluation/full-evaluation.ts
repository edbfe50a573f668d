// Every status and every Gateway IR for a whole view, in one call: what `switchyard translate` and replay
// checks need, and the reference for the order the actors call the finer functions in.

import { createParentLookup } from '../gateway-api/attachment.ts';
import {
  backendTLSPolicyAncestors,
  computeBackendTLSPolicyStatus,
} from '../gateway-api/backend-tls-policies.ts';
import { computeGatewayClassStatus } from '../gateway-api/gateway-class.ts';
import { evaluateGatewayListeners } from '../gateway-api/gateway-listeners.ts';
import {
  computeGatewayStatus,
  computeListenerSetStatus,
  type ProgrammedState,
} from '../gateway-api/gateway-status.ts';
import {
  countAttachedRoutes,
  evaluateRoute,
  type RouteEvaluation,
  routeStatusOf,
} from '../gateway-api/route-status.ts';
import { computeInferencePoolStatus, poolStatusConcernsUs } from '../inference/pool-status.ts';
import type { GatewayIR } from '../ir/gateway-ir.ts';
import { computeBackendStatus } from '../policies/backend.ts';
import { computeEnvoyProxyStatus } from '../policies/envoy-proxy.ts';
import {
  applyPolicies,
  computePolicyStatus,
  POLICY_KINDS,
  policyKindRules,
  scanningPolicyLookup,
} from '../policies/index.ts';
import type { OidcDiscoveryView } from '../policies/oidc-discovery.ts';
import { ENVOY_GATEWAY_POLICY_KINDS } from '../resources/envoy-gateway-policies.ts';
import { ROUTE_KINDS, type Route } from '../resources/gateway-api.ts';
import { formatResourceKey, keyOf, type ResourceKey } from '../resources/resource-key.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { buildGatewayIR } from './build-gateway-ir.ts';

export interface FullEvaluationOptions {
  readonly controllerName: string;
  readonly now: string;
  /** Programmed state per Gateway (formatResourceKey); Pending when absent. */
  readonly programmed?: (gatewayKey: string) => ProgrammedState | undefined;
  /** Standalone mode: the data plane runs on this host (Backends may name host-only addresses). */
  readonly hostDataPlane?: boolean;
  /** The OpenID Connect discovery documents read (policies/oidc-discovery.ts). */
  readonly oidcDiscovery?: OidcDiscoveryView;
}

export interface FullEvaluation {
  /** New status per object we write status for, keyed by formatResourceKey, in key order. */
  readonly statuses: ReadonlyMap<string, unknown>;
  /** IR per Gateway we own, keyed by formatResourceKey, in key order. */
  readonly irs: ReadonlyMap<string, GatewayIR>;
  readonly routes: readonly RouteEvaluation[];
}

export function evaluateAll(view: ResourceView, options: FullEvaluationOptions): FullEvaluation {
  const { controllerName, now } = options;
  const hostDataPlane = options.hostDataPlane === true;
  const discovery = options.oidcDiscovery === undefined ? {} : { oidcDiscovery: options.oidcDiscovery };
  const statuses = new Map<string, unknown>();
  for (const gatewayClass of view.list('GatewayClass')) {
    const status = computeGatewayClassStatus(gatewayClass, view, { controllerName, now });
    if (status !== undefined) statuses.set(formatResourceKey(keyOf(gatewayClass)), status);
  }
  const parents = createParentLookup(view, controllerName);
  const routes: RouteEvaluation[] = [];
  for (const kind of ROUTE_KINDS) {
    for (const route of view.list(kind) as readonly Route[]) {
      const evaluation = evaluateRoute(route, view, { controllerName, now, parents, hostDataPlane });
      routes.push(evaluation);
      if (evaluation.parents.length > 0) {
        statuses.set(formatResourceKey(evaluation.route), routeStatusOf(route, evaluation, controllerName));
      }
    }
  }
  const attachedRoutes = countAttachedRoutes(routes);
  const routesByGateway = new Map<string, RouteEvaluation[]>();
  for (const evaluation of routes) {
    for (const gateway of new Set(evaluation.parents.map((p) => formatResourceKey(p.gateway)))) {
      const list = routesByGateway.get(gateway) ?? [];
      list.push(evaluation);
      routesByGateway.set(gateway, list);
    }
  }
  const irs = new Map<string, GatewayIR>();
  const policies = scanningPolicyLookup(view);
  const anyPolicy = ENVOY_GATEWAY_POLICY_KINDS.some((kind) => view.list(kind).length > 0);
  for (const gateway of view.list('Gateway')) {
    const key = formatResourceKey(keyOf(gateway));
    const listeners = evaluateGatewayListeners(gateway, view);
    const programmed = options.programmed?.(key);
    const common = {
      controllerName,
      now,
      attachedRoutes,
      listeners,
      ...(programmed === undefined ? {} : { programmed }),
    };
    const status = computeGatewayStatus(gateway, view, common);
    if (status === undefined) continue;
    statuses.set(key, status);
    for (const entry of listeners.listenerSets) {
      const setStatus = computeListenerSetStatus(entry.listenerSet, view, common);
      if (setStatus !== undefined) statuses.set(formatResourceKey(entry.key), setStatus);
    }
    const ir = buildGatewayIR(gateway, view, routesByGateway.get(key) ?? [], { controllerName, listeners });
    if (ir !== undefined)
      irs.set(
        key,
        anyPolicy ? applyPolicies(ir, view, policies, POLICY_KINDS, { hostDataPlane, ...discovery }) : ir,
      );
  }
  const gatewaysOfRoute = new Map<string, ResourceKey[]>();
  for (const evaluation of routes) {
    const gateways = new Map<string, ResourceKey>();
    for (const parent of evaluation.parents)
      if (parent.accepted) gateways.set(formatResourceKey(parent.gateway), parent.gateway);
    gatewaysOfRoute.set(formatResourceKey(evaluation.route), [...gateways.values()]);
  }
  for (const kind of ENVOY_GATEWAY_POLICY_KINDS) {
    const rules = policyKindRules(kind);
    if (rules === undefined) continue;
    for (const policy of view.list(kind)) {
      const status = computePolicyStatus(policy, rules, view, {
        hostDataPlane,
        ...discovery,
        controllerName,
        now,
        lookup: policies,
        routeGateways: (route) => gatewaysOfRoute.get(formatResourceKey(route)) ?? [],
        gatewayIsOurs: (gateway) => irs.has(formatResourceKey(gateway)),
        routesOf: (gateway) =>
          (routesByGateway.get(formatResourceKey(gateway)) ?? []).map((evaluation) => evaluation.route),
      });
      if (status !== undefined) statuses.set(formatResourceKey(keyOf(policy)), status);
    }
  }
  for (const policy of view.list('BackendTLSPolicy')) {
    const ancestors = backendTLSPolicyAncestors(policy, routes);
    if (ancestors.length === 0) continue;
    statuses.set(
      formatResourceKey(keyOf(policy)),
      computeBackendTLSPolicyStatus(policy, view, { controllerName, now, ancestors }),
    );
  }
  for (const pool of view.list('InferencePool')) {
    const status = computeInferencePoolStatus(pool, view, routes, { controllerName, now });
    // A pool we never reported on (no route of ours uses it) is left alone, as the reference validator does.
    if (poolStatusConcernsUs(pool, status, controllerName))
      statuses.set(formatResourceKey(keyOf(pool)), status);
  }
  for (const backend of view.list('Backend')) {
    statuses.set(formatResourceKey(keyOf(backend)), computeBackendStatus(backend, { now, hostDataPlane }));
  }
  for (const proxy of view.list('EnvoyProxy')) {
    statuses.set(
      formatResourceKey(keyOf(proxy)),
      computeEnvoyProxyStatus(proxy, view, { controllerName, now }),
    );
  }
  return { statuses: sortedByKey(statuses), irs: sortedByKey(irs), routes };
}

function sortedByKey<V>(map: Map<string, V>): Map<string, V> {
  return new Map([...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
