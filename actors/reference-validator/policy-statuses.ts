// The statuses the reference validator computes after the routes and Gateways of a pass: policies (BackendTLSPolicy;
// Envoy Gateway policies' ancestors, model/policies/ancestor-status.ts) and InferencePools. Each reads the routes'
// cached evaluations and returns the work units it took (one, plus one per route it read).
import type { ParentLookup } from '../../model/gateway-api/attachment.ts';
import {
  backendTLSPolicyAncestors,
  computeBackendTLSPolicyStatus,
} from '../../model/gateway-api/backend-tls-policies.ts';
import { isOurGatewayClass } from '../../model/gateway-api/gateway-class.ts';
import { computeInferencePoolStatus, poolStatusConcernsUs } from '../../model/inference/pool-status.ts';
import {
  computePolicyStatus,
  isPolicyKind,
  type PolicyLookup,
  policyKindRules,
} from '../../model/policies/index.ts';
import type { OidcDiscoveryView } from '../../model/policies/oidc-discovery.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import { type DeliverRequest, deliverTo } from '../../runtime/outbox.ts';
import { patcherName } from '../patchers/messages.ts';
import type { DependencyIndex } from './dependency-index.ts';
import { ROUTE_KIND_SET, type RouteEvaluations } from './route-evaluations.ts';
import type { RouteReads } from './route-reads.ts';

/** What the statuses read, besides the pass. */
export interface StatusInputs {
  readonly view: ResourceView;
  readonly index: DependencyIndex;
  readonly evaluations: RouteEvaluations;
  readonly controllerName: string;
  readonly hostDataPlane: boolean;
  readonly oidcDiscovery: OidcDiscoveryView | undefined;
  /** The policies targeting an object. */
  readonly policyLookup: PolicyLookup;
  /** Where each policy's status read routes, recorded here so that a route's change recomputes it. */
  readonly routeReads: RouteReads;
}

/** The pass's time and its parent lookup. */
export interface PassTime {
  readonly now: string;
  readonly lookup: ParentLookup;
}

/** status.ancestors of an Envoy Gateway policy (model/policies/ancestor-status.ts). */
function envoyGatewayPolicyStatus(
  inputs: StatusInputs,
  pass: PassTime,
  key: ResourceKey,
  out: DeliverRequest[],
): number {
  if (!isPolicyKind(key.kind)) return 1;
  const policy = inputs.view.get(key.kind, key.namespace, key.name);
  const rules = policyKindRules(key.kind);
  inputs.routeReads.forget(key);
  if (policy === undefined || rules === undefined) return 1;
  let reads = 0;
  const status = computePolicyStatus(policy, rules, inputs.view, {
    hostDataPlane: inputs.hostDataPlane,
    ...(inputs.oidcDiscovery === undefined ? {} : { oidcDiscovery: inputs.oidcDiscovery }),
    controllerName: inputs.controllerName,
    now: pass.now,
    lookup: inputs.policyLookup,
    routeGateways: (route) => {
      reads++;
      const gateways = new Map<string, ResourceKey>();
      for (const parent of inputs.evaluations.of(route, pass.now, pass.lookup)?.parents ?? [])
        if (parent.accepted) gateways.set(formatResourceKey(parent.gateway), parent.gateway);
      return [...gateways.values()];
    },
    gatewayIsOurs: (gateway) => {
      const object = inputs.view.get('Gateway', gateway.namespace, gateway.name);
      const gatewayClass =
        object && inputs.view.get('GatewayClass', undefined, String(object.spec?.gatewayClassName ?? ''));
      return object !== undefined && isOurGatewayClass(gatewayClass, inputs.controllerName);
    },
    routesOf: (gateway) => {
      inputs.routeReads.record(key, gateway);
      const routes = inputs.evaluations.attachedRouteKeys(gateway, []);
      reads += routes.length;
      return routes;
    },
  });
  if (status !== undefined)
    out.push(deliverTo(patcherName(key.kind), { type: 'status.desired', key, status }));
  return 1 + reads;
}

/** A policy's status (BackendTLSPolicy, or an Envoy Gateway policy's ancestors); the work units it took. */
export function policyStatus(
  inputs: StatusInputs,
  pass: PassTime,
  key: ResourceKey,
  out: DeliverRequest[],
): number {
  if (key.kind !== 'BackendTLSPolicy') return envoyGatewayPolicyStatus(inputs, pass, key, out);
  const policy = inputs.view.get('BackendTLSPolicy', key.namespace, key.name);
  if (policy === undefined) return 1;
  const evaluations = routesUsingServicesOf(inputs.index, key).flatMap((routeKey) => {
    const evaluation = inputs.evaluations.of(routeKey, pass.now, pass.lookup);
    return evaluation === undefined ? [] : [evaluation];
  });
  const status = computeBackendTLSPolicyStatus(policy, inputs.view, {
    controllerName: inputs.controllerName,
    now: pass.now,
    ancestors: backendTLSPolicyAncestors(policy, evaluations),
  });
  out.push(deliverTo(patcherName('BackendTLSPolicy'), { type: 'status.desired', key, status }));
  return 1 + evaluations.length;
}

/** An InferencePool's status (its parents are the Gateways of the routes that use it); the work units it took. */
export function poolStatus(
  inputs: StatusInputs,
  pass: PassTime,
  key: ResourceKey,
  out: DeliverRequest[],
): number {
  const pool = inputs.view.get('InferencePool', key.namespace, key.name);
  if (pool === undefined) return 1;
  const evaluations = inputs.index.dependentsOf(key).flatMap((routeKey) => {
    if (!ROUTE_KIND_SET.has(routeKey.kind)) return [];
    const evaluation = inputs.evaluations.of(routeKey, pass.now, pass.lookup);
    return evaluation === undefined ? [] : [evaluation];
  });
  const status = computeInferencePoolStatus(pool, inputs.view, evaluations, {
    controllerName: inputs.controllerName,
    now: pass.now,
  });
  // A pool we never reported on (no route of ours uses it) is left alone.
  if (poolStatusConcernsUs(pool, status, inputs.controllerName))
    out.push(deliverTo(patcherName('InferencePool'), { type: 'status.desired', key, status }));
  return 1 + evaluations.length;
}

/** BackendTLSPolicies targeting a Service or Backend (memoised per step: routes share them). */
export function backendTLSPoliciesOf(
  index: DependencyIndex,
  service: ResourceKey,
  memo: Map<string, readonly ResourceKey[]>,
): readonly ResourceKey[] {
  const id = formatResourceKey(service);
  let found = memo.get(id);
  if (found === undefined) {
    found = index.dependentsOf(service).filter((dependent) => dependent.kind === 'BackendTLSPolicy');
    memo.set(id, found);
  }
  return found;
}

/** Routes that use a Service or Backend the policy targets. */
function routesUsingServicesOf(index: DependencyIndex, policy: ResourceKey): ResourceKey[] {
  const found = new Map<string, ResourceKey>();
  for (const service of index.dependenciesOf(policy)) {
    if (service.kind !== 'Service' && service.kind !== 'Backend') continue;
    for (const dependent of index.dependentsOf(service)) {
      if (ROUTE_KIND_SET.has(dependent.kind)) found.set(formatResourceKey(dependent), dependent);
    }
  }
  return [...found.values()];
}
