// The reference validator's working state: which objects a change affects (through the dependency index), and
// the recomputation of exactly those — route statuses, GatewayClass statuses, and per Gateway its listeners,
// attached routes and IR. Route evaluations are cached and recomputed only when something they read changed, so
// changing one route re-evaluates that route and rebuilds only the Gateways it is (or was) attached to.
import { evaluateAIGateway, evaluateAIGatewayRoute, isAIGatewayKind } from '../../model/ai-gateway.ts';
import { createParentLookup } from '../../model/attachment.ts';
import {
  backendTLSPolicyAncestors,
  computeBackendTLSPolicyStatus,
} from '../../model/backend-tls-policies.ts';
import { computeGatewayClassStatus, isOurGatewayClass } from '../../model/gateway-class.ts';
import { buildGatewayIR } from '../../model/gateway-ir.ts';
import { evaluateGatewayListeners } from '../../model/gateway-listeners.ts';
import { computeInferencePoolStatus, poolStatusConcernsUs } from '../../model/inference-pools.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resource-key.ts';
import type { ResourceView } from '../../model/resource-view.ts';
import { ROUTE_KINDS, type RouteKind } from '../../model/resources.ts';
import {
  countAttachedRoutes,
  evaluateRoute,
  type RouteEvaluation,
  routeStatusOf,
} from '../../model/route-status.ts';
import { type DeliverRequest, deliverTo } from '../../runtime/outbox.ts';
import { EXTPROC_CONFIG_WRITER } from '../ai-gateway/messages.ts';
import { GATEWAY_DEPLOYER } from '../gateway-deployer/messages.ts';
import { patcherName } from '../patchers/messages.ts';
import { DependencyIndex } from './dependency-index.ts';

const ROUTE_KIND_SET: ReadonlySet<string> = new Set(ROUTE_KINDS);

export interface ResolutionCounters {
  routesEvaluated: number;
  gatewaysResolved: number;
}

export class GatewayResolution {
  readonly index = new DependencyIndex();
  readonly counters: ResolutionCounters = { routesEvaluated: 0, gatewaysResolved: 0 };
  private readonly view: ResourceView;
  private readonly controllerName: string;
  private readonly evaluations = new Map<string, RouteEvaluation>();
  private readonly dirty = new Map<string, ResourceKey>();
  /** The keys an object is looked up under, for the objects that stand for others too (see `changed`). */
  private readonly lookupKeys = new Map<string, readonly ResourceKey[]>();
  /** Gateways we have sent to the deployer, so we can tell it when one goes away. */
  private readonly resolvedGateways = new Set<string>();

  /** Kubernetes mode: the finalizer that keeps a GatewayClass while Gateways use it. */
  private readonly gatewayClassFinalizer: string | undefined;

  constructor(view: ResourceView, controllerName: string, gatewayClassFinalizer?: string) {
    this.view = view;
    this.controllerName = controllerName;
    this.gatewayClassFinalizer = gatewayClassFinalizer;
  }

  get pending(): number {
    return this.dirty.size;
  }

  /**
   * Records a change (and returns what the object depended on before); what it affects is recomputed at the next
   * flush. `lookupKeys` are the keys the change is looked up under (the object's own, and an EndpointSlice's
   * Service …): the ones it had before count too, so a slice moved to another Service, or a policy retargeted,
   * also recomputes what used the old one.
   */
  changed(
    key: ResourceKey,
    dependsOn: readonly ResourceKey[],
    deleted: boolean,
    lookupKeys: readonly ResourceKey[],
  ): readonly ResourceKey[] {
    const before = deleted ? this.index.clear(key) : this.index.set(key, dependsOn);
    const id = formatResourceKey(key);
    const lookedUpBefore = this.lookupKeys.get(id) ?? [];
    // Only objects that stand for others are remembered: at scale most objects stand for themselves alone.
    if (deleted || lookupKeys.length <= 1) this.lookupKeys.delete(id);
    else this.lookupKeys.set(id, lookupKeys);
    const standsFor = (objectId: string) => this.lookupKeys.get(objectId) ?? [];
    for (const [dirtyId, affected] of this.index.closure([key, ...lookedUpBefore, ...lookupKeys], standsFor))
      this.dirty.set(dirtyId, affected);
    // A Gateway that comes, goes or changes class decides whether its classes keep their finalizer.
    if (this.gatewayClassFinalizer !== undefined && key.kind === 'Gateway') {
      for (const gatewayClass of [...before, ...dependsOn]) {
        if (gatewayClass.kind === 'GatewayClass')
          this.dirty.set(formatResourceKey(gatewayClass), gatewayClass);
      }
    }
    // A route that stopped using a Service changes the ancestors of that Service's policies.
    if (ROUTE_KIND_SET.has(key.kind)) {
      // … and one that stopped using an InferencePool changes the pool's parents.
      for (const pool of before)
        if (pool.kind === 'InferencePool') this.dirty.set(formatResourceKey(pool), pool);
      for (const service of before) {
        if (service.kind !== 'Service') continue;
        for (const dependent of this.index.dependentsOf(service)) {
          if (dependent.kind === 'BackendTLSPolicy') this.dirty.set(formatResourceKey(dependent), dependent);
        }
      }
    }
    // A route or ListenerSet that moved between Gateways changes the old ones too (attached routes, IR).
    for (const parent of [...before, ...dependsOn]) {
      if (parent.kind === 'Gateway' || parent.kind === 'ListenerSet')
        this.dirty.set(formatResourceKey(parent), parent);
    }
    return before;
  }

  /** Recomputes everything affected since the last flush; returns the messages to send. */
  flush(now: string): DeliverRequest[] {
    const out: DeliverRequest[] = [];
    const dirty = [...this.dirty.values()];
    this.dirty.clear();
    const lookup = createParentLookup(this.view, this.controllerName);
    const gateways = new Map<string, ResourceKey>();
    const routes: ResourceKey[] = [];
    const policies = new Map<string, ResourceKey>();
    const pools = new Map<string, ResourceKey>();
    // Envoy AI Gateway's kinds: few objects, so any change re-evaluates them all (statuses, ext_proc config).
    const aiChanged = dirty.some((key) => isAIGatewayKind(key.kind));
    for (const key of dirty) {
      if (key.kind === 'BackendTLSPolicy') policies.set(formatResourceKey(key), key);
      if (key.kind === 'InferencePool') pools.set(formatResourceKey(key), key);
      if (key.kind === 'AIGatewayRoute') {
        // Its status comes with the others below; here it is re-evaluated for its Gateways' IR.
        this.evaluations.delete(formatResourceKey(key));
        for (const parent of this.evaluationOf(key, now, lookup)?.parents ?? [])
          gateways.set(formatResourceKey(parent.gateway), parent.gateway);
      }
      if (ROUTE_KIND_SET.has(key.kind)) {
        this.evaluations.delete(formatResourceKey(key));
        routes.push(key);
      } else if (key.kind === 'Gateway') {
        gateways.set(formatResourceKey(key), key);
      } else if (key.kind === 'ListenerSet') {
        for (const parent of this.index.dependenciesOf(key)) {
          if (parent.kind === 'Gateway') gateways.set(formatResourceKey(parent), parent);
        }
      } else if (key.kind === 'GatewayClass') {
        const gatewayClass = this.view.get('GatewayClass', undefined, key.name);
        const status =
          gatewayClass &&
          computeGatewayClassStatus(gatewayClass, this.view, { controllerName: this.controllerName, now });
        if (status !== undefined)
          out.push(deliverTo(patcherName('GatewayClass'), { type: 'status.desired', key, status }));
        if (gatewayClass !== undefined && this.gatewayClassFinalizer !== undefined) {
          const inUse =
            isOurGatewayClass(gatewayClass, this.controllerName) &&
            this.view.list('Gateway').some((gateway) => gateway.spec?.gatewayClassName === key.name);
          out.push(
            deliverTo(patcherName('GatewayClass'), {
              type: 'finalizer.desired',
              key,
              finalizer: this.gatewayClassFinalizer,
              present: inUse,
            }),
          );
        }
      }
    }

    for (const key of routes) {
      const route = this.view.get(key.kind as RouteKind, key.namespace, key.name);
      if (route === undefined) continue;
      const evaluation = evaluateRoute(route, this.view, {
        controllerName: this.controllerName,
        now,
        parents: lookup,
      });
      this.counters.routesEvaluated++;
      this.evaluations.set(formatResourceKey(key), evaluation);
      out.push(
        deliverTo(patcherName(key.kind), {
          type: 'status.desired',
          key,
          status: routeStatusOf(route, evaluation, this.controllerName),
        }),
      );
      for (const parent of evaluation.parents)
        gateways.set(formatResourceKey(parent.gateway), parent.gateway);
      // The policies of the Services this route uses report the route's Gateways as their ancestors.
      for (const policy of this.policiesOfRoute(key)) policies.set(formatResourceKey(policy), policy);
      // So do the InferencePools it sends to, as their parents.
      for (const pool of this.index.dependenciesOf(key))
        if (pool.kind === 'InferencePool') pools.set(formatResourceKey(pool), pool);
    }

    for (const [id, key] of gateways) {
      const gateway = this.view.get('Gateway', key.namespace, key.name);
      const gatewayClass =
        gateway && this.view.get('GatewayClass', undefined, String(gateway.spec?.gatewayClassName ?? ''));
      if (gateway === undefined || !isOurGatewayClass(gatewayClass, this.controllerName)) {
        if (this.resolvedGateways.delete(id))
          out.push(deliverTo(GATEWAY_DEPLOYER, { type: 'gateway.removed', gateway: key }));
        continue;
      }
      const listeners = evaluateGatewayListeners(gateway, this.view);
      const evaluations = this.attachedRouteKeys(
        key,
        listeners.listenerSets.map((set) => set.key),
      ).flatMap((routeKey) => {
        const evaluation = this.evaluationOf(routeKey, now, lookup);
        return evaluation === undefined ? [] : [evaluation];
      });
      const attached = countAttachedRoutes(evaluations);
      const ir = buildGatewayIR(gateway, this.view, evaluations, {
        controllerName: this.controllerName,
        listeners,
      });
      this.counters.gatewaysResolved++;
      this.resolvedGateways.add(id);
      out.push(
        deliverTo(GATEWAY_DEPLOYER, {
          type: 'gateway.resolved',
          gateway: key,
          listeners,
          attachedRoutes: [...attached],
          ir,
        }),
      );
    }
    for (const key of policies.values()) {
      const policy = this.view.get('BackendTLSPolicy', key.namespace, key.name);
      if (policy === undefined) continue;
      const evaluations = this.routesUsingServicesOf(key).flatMap((routeKey) => {
        const evaluation = this.evaluationOf(routeKey, now, lookup);
        return evaluation === undefined ? [] : [evaluation];
      });
      const status = computeBackendTLSPolicyStatus(policy, this.view, {
        controllerName: this.controllerName,
        now,
        ancestors: backendTLSPolicyAncestors(policy, evaluations),
      });
      out.push(deliverTo(patcherName('BackendTLSPolicy'), { type: 'status.desired', key, status }));
    }
    for (const key of pools.values()) {
      const pool = this.view.get('InferencePool', key.namespace, key.name);
      if (pool === undefined) continue;
      const evaluations = this.index.dependentsOf(key).flatMap((routeKey) => {
        if (!ROUTE_KIND_SET.has(routeKey.kind)) return [];
        const evaluation = this.evaluationOf(routeKey, now, lookup);
        return evaluation === undefined ? [] : [evaluation];
      });
      const status = computeInferencePoolStatus(pool, this.view, evaluations, {
        controllerName: this.controllerName,
        now,
      });
      // A pool we never reported on (no route of ours uses it) is left alone.
      if (!poolStatusConcernsUs(pool, status, this.controllerName)) continue;
      out.push(deliverTo(patcherName('InferencePool'), { type: 'status.desired', key, status }));
    }
    if (aiChanged) {
      const ai = evaluateAIGateway(this.view, { controllerName: this.controllerName, now, parents: lookup });
      for (const { key, status } of ai.statuses)
        out.push(deliverTo(patcherName(key.kind), { type: 'status.desired', key, status }));
      out.push(deliverTo(EXTPROC_CONFIG_WRITER, { type: 'extproc-config.desired', config: ai.config }));
    }
    return out;
  }

  /** BackendTLSPolicies targeting a Service the route uses (now or before this change). */
  private policiesOfRoute(route: ResourceKey): ResourceKey[] {
    const found = new Map<string, ResourceKey>();
    for (const service of this.index.dependenciesOf(route)) {
      if (service.kind !== 'Service') continue;
      for (const dependent of this.index.dependentsOf(service)) {
        if (dependent.kind === 'BackendTLSPolicy') found.set(formatResourceKey(dependent), dependent);
      }
    }
    return [...found.values()];
  }

  /** Routes that use a Service the policy targets. */
  private routesUsingServicesOf(policy: ResourceKey): ResourceKey[] {
    const found = new Map<string, ResourceKey>();
    for (const service of this.index.dependenciesOf(policy)) {
      if (service.kind !== 'Service') continue;
      for (const dependent of this.index.dependentsOf(service)) {
        if (ROUTE_KIND_SET.has(dependent.kind)) found.set(formatResourceKey(dependent), dependent);
      }
    }
    return [...found.values()];
  }

  /** The routes that name this Gateway or one of its ListenerSets as a parent. */
  private attachedRouteKeys(gateway: ResourceKey, listenerSets: readonly ResourceKey[]): ResourceKey[] {
    const found = new Map<string, ResourceKey>();
    for (const parent of [gateway, ...listenerSets]) {
      for (const dependent of this.index.dependentsOf(parent)) {
        if (ROUTE_KIND_SET.has(dependent.kind) || dependent.kind === 'AIGatewayRoute')
          found.set(formatResourceKey(dependent), dependent);
      }
    }
    return [...found.values()];
  }

  private evaluationOf(
    key: ResourceKey,
    now: string,
    lookup: ReturnType<typeof createParentLookup>,
  ): RouteEvaluation | undefined {
    const id = formatResourceKey(key);
    const cached = this.evaluations.get(id);
    if (cached !== undefined) return cached;
    if (key.kind === 'AIGatewayRoute') {
      const route = this.view.get('AIGatewayRoute', key.namespace, key.name);
      if (route === undefined) return undefined;
      const { evaluation } = evaluateAIGatewayRoute(route, this.view, {
        controllerName: this.controllerName,
        now,
        parents: lookup,
      });
      this.counters.routesEvaluated++;
      this.evaluations.set(id, evaluation);
      return evaluation;
    }
    const route = this.view.get(key.kind as RouteKind, key.namespace, key.name);
    if (route === undefined) return undefined;
    const evaluation = evaluateRoute(route, this.view, {
      controllerName: this.controllerName,
      now,
      parents: lookup,
    });
    this.counters.routesEvaluated++;
    this.evaluations.set(id, evaluation);
    return evaluation;
  }
}

/** RFC 3339 at second precision, as Kubernetes stores condition times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
