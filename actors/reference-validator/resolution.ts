// The reference validator's working state: which objects a change affects (through the dependency index), and
// the recomputation of exactly those — route statuses, GatewayClass statuses, and per Gateway its listeners,
// attached routes and IR. Route evaluations are cached and recomputed only when something they read changed, so
// changing one route re-evaluates that route and rebuilds only the Gateways it is (or was) attached to.
import { evaluateAIGateway } from '../../model/ai-gateway/evaluate-ai-gateway.ts';
import { buildGatewayIR } from '../../model/evaluation/build-gateway-ir.ts';
import { createParentLookup, type ParentLookup } from '../../model/gateway-api/attachment.ts';
import { isOurGatewayClass } from '../../model/gateway-api/gateway-class.ts';
import { evaluateGatewayListeners } from '../../model/gateway-api/gateway-listeners.ts';
import { countAttachedRoutes, evaluateRoute, routeStatusOf } from '../../model/gateway-api/route-status.ts';
import type { DataPlaneRefusal } from '../../model/ir/backend-contract.ts';
import { evaluateMCP } from '../../model/mcp/evaluate-mcp.ts';
import { applyPolicies, isPolicyKind, POLICY_KINDS, type PolicyLookup } from '../../model/policies/index.ts';
import type { OidcDiscoveryView } from '../../model/policies/oidc-discovery.ts';
import { policyTargets } from '../../model/policies/policy-targets.ts';
import { isAIGatewayKind } from '../../model/resources/ai-gateway.ts';
import {
  ENVOY_GATEWAY_POLICY_KINDS,
  type EnvoyGatewayPolicy,
} from '../../model/resources/envoy-gateway-policies.ts';
import type { RouteKind } from '../../model/resources/gateway-api.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import { type DeliverRequest, deliverTo } from '../../runtime/outbox.ts';
import { EXTPROC_CONFIG_WRITER } from '../ai-gateway/messages.ts';
import { GATEWAY_DEPLOYER } from '../gateway-deployer/messages.ts';
import { MCP_CONFIG_WRITER } from '../mcp/messages.ts';
import { patcherName } from '../patchers/messages.ts';
import { DataPlaneRefusals } from './data-plane-refusals.ts';
import { DependencyIndex } from './dependency-index.ts';
import {
  IMMEDIATE_STATUS_KINDS,
  type ImmediateStatusInputs,
  immediateStatuses,
} from './immediate-statuses.ts';
import { backendTLSPoliciesOf, policyStatus, poolStatus, type StatusInputs } from './policy-statuses.ts';
import { nextPhase, type Pass } from './resolution-pass.ts';
import { ROUTE_KIND_SET, RouteEvaluations } from './route-evaluations.ts';
import { RouteReads } from './route-reads.ts';

export interface ResolutionOptions {
  /** Kubernetes mode: the finalizer that keeps a GatewayClass while Gateways use it. */
  readonly gatewayClassFinalizer?: string;
  /** Standalone mode: the data plane runs on this host (Backends may name host-only addresses). */
  readonly hostDataPlane?: boolean;
  /** The OpenID Connect discovery documents read so far (actors/policies/oidc-discovery.ts writes them). */
  readonly oidcDiscovery?: OidcDiscoveryView;
}

export interface ResolutionCounters {
  routesEvaluated: number;
  gatewaysResolved: number;
}

export class GatewayResolution {
  readonly index = new DependencyIndex();
  readonly counters: ResolutionCounters = { routesEvaluated: 0, gatewaysResolved: 0 };
  private readonly view: ResourceView;
  private readonly controllerName: string;
  private readonly evaluations: RouteEvaluations;
  private readonly dirty = new Map<string, ResourceKey>();
  /** The keys an object is looked up under, for the objects that stand for others too (see `changed`). */
  private readonly lookupKeys = new Map<string, readonly ResourceKey[]>();
  private readonly standsFor = (id: string): readonly ResourceKey[] => this.lookupKeys.get(id) ?? [];
  /** Gateways we have sent to the deployer, so we can tell it when one goes away. */
  private readonly resolvedGateways = new Set<string>();
  /** The recomputation under way, between `begin` and the `step` that finishes it. */
  private pass: Pass | undefined;
  /** Envoy Gateway policies → the Gateways they applied to when last computed (to undo a retarget). */
  private readonly policyGateways = new Map<string, readonly ResourceKey[]>();
  /** The policies targeting an object, from the dependency index (a policy depends on its targets). */
  private readonly policyLookup: PolicyLookup = (target) => {
    const found: EnvoyGatewayPolicy[] = [];
    for (const dependent of this.index.dependentsOf(target)) {
      if (!isPolicyKind(dependent.kind)) continue;
      const policy = this.view.get(dependent.kind, dependent.namespace, dependent.name);
      if (policy !== undefined) found.push(policy);
    }
    return found;
  };
  /** Where each policy's status read routes (route-reads.ts). */
  private readonly routeReads = new RouteReads();
  private readonly statusInputs: StatusInputs;
  private readonly immediateInputs: ImmediateStatusInputs;
  /** The GatewayClasses we wrote a status to: one that stops being ours gets it taken back. */
  private readonly classesWithStatus = new Set<string>();
  /** The MCP proxy configuration has been sent once (the proxy needs one to start, MCPRoutes or not). */
  private mcpConfigSent = false;

  /** Kubernetes mode: the finalizer that keeps a GatewayClass while Gateways use it. */
  private readonly gatewayClassFinalizer: string | undefined;
  private readonly hostDataPlane: boolean;
  private readonly oidcDiscovery: OidcDiscoveryView | undefined;
  /** What each Gateway's data plane refuses of each route, as the deployer last said. */
  private readonly refusals = new DataPlaneRefusals();

  constructor(view: ResourceView, controllerName: string, options: ResolutionOptions = {}) {
    this.view = view;
    this.controllerName = controllerName;
    this.gatewayClassFinalizer = options.gatewayClassFinalizer;
    this.hostDataPlane = options.hostDataPlane === true;
    this.oidcDiscovery = options.oidcDiscovery;
    this.evaluations = new RouteEvaluations({
      view,
      index: this.index,
      controllerName,
      hostDataPlane: this.hostDataPlane,
      counters: this.counters,
    });
    this.immediateInputs = {
      view,
      controllerName,
      hostDataPlane: this.hostDataPlane,
      gatewayClassFinalizer: this.gatewayClassFinalizer,
      classesWithStatus: this.classesWithStatus,
    };
    this.statusInputs = {
      view,
      index: this.index,
      evaluations: this.evaluations,
      controllerName,
      hostDataPlane: this.hostDataPlane,
      oidcDiscovery: this.oidcDiscovery,
      policyLookup: this.policyLookup,
      routeReads: this.routeReads,
    };
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
    const id = formatResourceKey(key);
    const before = deleted ? this.index.clear(key, id) : this.index.set(key, dependsOn, id);
    const lookedUpBefore = this.lookupKeys.get(id);
    // Only objects that stand for others are remembered: at scale most objects stand for themselves alone.
    if (!deleted && lookupKeys.length > 1) this.lookupKeys.set(id, lookupKeys);
    else if (lookedUpBefore !== undefined) this.lookupKeys.delete(id);
    const from = [key, ...(lookedUpBefore ?? []), ...lookupKeys];
    for (const [dirtyId, affected] of this.index.closure(from, this.standsFor, id))
      this.dirty.set(dirtyId, affected);
    const related = before.length === 0 ? dependsOn : [...before, ...dependsOn]; // depended on before, and now
    // A Gateway that comes, goes or changes class decides whether its classes keep their finalizer.
    if (this.gatewayClassFinalizer !== undefined && key.kind === 'Gateway') {
      for (const gatewayClass of related) {
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
    // A policy that comes, goes or moves changes which policy wins on its targets (Conflicted) and what the
    // policies of those targets' Gateways say (Overridden): those policies are recomputed too — not the targets.
    if (isPolicyKind(key.kind)) {
      const dirtyPolicies = (target: ResourceKey) => {
        for (const other of this.index.dependentsOf(target))
          if (isPolicyKind(other.kind)) this.dirty.set(formatResourceKey(other), other);
      };
      for (const target of related) {
        dirtyPolicies(target);
        for (const parent of this.evaluations.cached(formatResourceKey(target))?.parents ?? [])
          dirtyPolicies(parent.gateway);
      }
    }
    // A GatewayClass or Gateway that names (or named) an EnvoyProxy is among that EnvoyProxy's ancestors. Marked
    // directly, not through the index: what depends on the EnvoyProxy has not changed.
    if (key.kind === 'GatewayClass' || key.kind === 'Gateway') {
      for (const proxy of related) {
        if (proxy.kind === 'EnvoyProxy') this.dirty.set(formatResourceKey(proxy), proxy);
      }
    }
    // A route or ListenerSet that moved between Gateways changes the old ones too (attached routes, IR).
    for (const parent of related) {
      if (parent.kind === 'Gateway' || parent.kind === 'ListenerSet')
        this.dirty.set(formatResourceKey(parent), parent);
    }
    return before;
  }

  /**
   * The data plane of a Gateway now refuses these routes (or parts of them): the routes whose refusals changed are
   * recomputed at the next flush, their status showing it. Returns whether any did.
   */
  dataPlaneRefused(gateway: ResourceKey, refusals: readonly DataPlaneRefusal[]): boolean {
    const routes = this.refusals.record(
      gateway,
      refusals,
      (routeId) => this.evaluations.cached(routeId)?.route,
    );
    for (const [routeId, route] of routes) if (route !== undefined) this.dirty.set(routeId, route);
    return routes.length > 0;
  }

  /** A recomputation has begun and not yet produced all its messages (see `begin` and `step`). */
  get flushing(): boolean {
    return this.pass !== undefined;
  }

  /** Recomputes everything affected since the last flush, in one go; returns the messages to send. */
  flush(now: string): DeliverRequest[] {
    this.begin(now);
    return this.step(Number.POSITIVE_INFINITY).messages;
  }

  /**
   * Starts recomputing everything affected since the last flush: takes the dirty set (changes from now on wait
   * for the next pass), sorts it into routes, Gateways, policies and pools, and computes the few cheap results
   * (GatewayClass statuses and finalizers) at once. The rest is produced by `step`, a budget at a time.
   */
  begin(now: string): void {
    if (this.pass !== undefined) throw new Error('a recomputation is already under way');
    const dirty = [...this.dirty.values()];
    this.dirty.clear();
    // One parent lookup per pass, as a pass in one go had: a Gateway changed between two steps is in the next
    // pass's dirty set with every route attached to it, so what a step read of it before is recomputed then.
    const lookup = createParentLookup(this.view, this.controllerName);
    const pass: Pass = {
      now,
      lookup,
      out: [],
      routes: [],
      gateways: new Map(),
      policies: new Map(),
      pools: new Map(),
      retargeted: [],
      // Envoy AI Gateway's kinds: few objects, so any change re-evaluates them all (statuses, ext_proc config).
      aiChanged: dirty.some((key) => isAIGatewayKind(key.kind)),
      // MCPRoutes likewise; their configuration is sent at least once.
      mcpChanged: !this.mcpConfigSent || dirty.some((key) => key.kind === 'MCPRoute'),
      phase: 'routes',
      queue: [],
      next: 0,
    };
    const { out, gateways, routes, policies, pools, retargeted } = pass;
    for (const key of dirty) {
      if (key.kind === 'BackendTLSPolicy') policies.set(formatResourceKey(key), key);
      if (isPolicyKind(key.kind)) {
        // Its status, and the IR of every Gateway it applies to now or applied to before (once the routes are
        // evaluated: see Pass.retargeted).
        policies.set(formatResourceKey(key), key);
        retargeted.push(key);
      }
      if (key.kind === 'InferencePool') pools.set(formatResourceKey(key), key);
      if (key.kind === 'AIGatewayRoute' || key.kind === 'MCPRoute') {
        // Its status comes with the others below; here it is re-evaluated for its Gateways' IR.
        this.evaluations.drop(key);
        for (const parent of this.evaluations.of(key, now, lookup)?.parents ?? [])
          gateways.set(formatResourceKey(parent.gateway), parent.gateway);
      }
      if (ROUTE_KIND_SET.has(key.kind)) {
        this.evaluations.drop(key);
        routes.push(key);
      } else if (key.kind === 'Gateway') {
        gateways.set(formatResourceKey(key), key);
      } else if (key.kind === 'ListenerSet') {
        for (const parent of this.index.dependenciesOf(key)) {
          if (parent.kind === 'Gateway') gateways.set(formatResourceKey(parent), parent);
        }
      } else if (IMMEDIATE_STATUS_KINDS.has(key.kind)) {
        immediateStatuses(this.immediateInputs, key, now, out);
      }
    }
    pass.queue = routes;
    this.pass = pass;
  }

  /**
   * Goes on with the recomputation `begin` started, until about `budget` units of work are done (a route
   * evaluation is one unit; a Gateway, policy or pool one plus one per route it reads; at least one item per
   * step). Returns the messages of that work, in the order a pass in one go would send them, and whether the
   * pass is finished. The pieces of a pass, concatenated, are exactly what `flush` returns for the same changes.
   */
  step(budget: number): { messages: DeliverRequest[]; done: boolean } {
    const pass = this.pass;
    if (pass === undefined) return { messages: [], done: true };
    const out = pass.out;
    pass.out = [];
    let spent = 0;
    // Per step, not per pass: the index can change between steps.
    const policiesOfService = new Map<string, readonly ResourceKey[]>();
    while (spent < budget && pass.phase !== 'done') {
      if (pass.phase === 'ai') {
        spent += this.evaluateAIGateway(pass, out);
        pass.phase = pass.mcpChanged ? 'mcp' : 'done';
        continue;
      }
      if (pass.phase === 'mcp') {
        spent += this.evaluateMCP(pass, out);
        pass.phase = 'done';
        continue;
      }
      if (pass.next >= pass.queue.length) {
        if (pass.phase === 'routes') spent += this.retargetedPolicies(pass);
        nextPhase(pass);
        continue;
      }
      const key = pass.queue[pass.next++]!;
      switch (pass.phase) {
        case 'routes':
          spent += this.evaluateDirtyRoute(pass, key, out, policiesOfService);
          break;
        case 'gateways':
          spent += this.resolveGateway(pass, key, out);
          break;
        case 'policies':
          spent += policyStatus(this.statusInputs, pass, key, out);
          break;
        case 'pools':
          spent += poolStatus(this.statusInputs, pass, key, out);
          break;
      }
    }
    if (pass.phase === 'done') this.pass = undefined;
    return { messages: out, done: pass.phase === 'done' };
  }

  /** The AI Gateway kinds, evaluated together: their statuses and the ext_proc config. */
  private evaluateAIGateway(pass: Pass, out: DeliverRequest[]): number {
    const ai = evaluateAIGateway(this.view, {
      hostDataPlane: this.hostDataPlane,
      controllerName: this.controllerName,
      now: pass.now,
      parents: pass.lookup,
    });
    for (const { key, status } of ai.statuses)
      out.push(deliverTo(patcherName(key.kind), { type: 'status.desired', key, status }));
    out.push(deliverTo(EXTPROC_CONFIG_WRITER, { type: 'config.desired', config: ai.config }));
    return 1 + ai.statuses.length;
  }

  /** The MCPRoutes, evaluated together: their statuses and the MCP proxy configuration. */
  private evaluateMCP(pass: Pass, out: DeliverRequest[]): number {
    const mcp = evaluateMCP(this.view, {
      controllerName: this.controllerName,
      now: pass.now,
      parents: pass.lookup,
      hostDataPlane: this.hostDataPlane,
    });
    for (const { key, status } of mcp.statuses)
      out.push(deliverTo(patcherName(key.kind), { type: 'status.desired', key, status }));
    out.push(deliverTo(MCP_CONFIG_WRITER, { type: 'config.desired', config: mcp.config }));
    this.mcpConfigSent = true;
    return 1 + mcp.statuses.length;
  }

  private evaluateDirtyRoute(
    pass: Pass,
    key: ResourceKey,
    out: DeliverRequest[],
    policiesOfService: Map<string, readonly ResourceKey[]>,
  ): number {
    const route = this.view.get(key.kind as RouteKind, key.namespace, key.name);
    if (route === undefined) return 1;
    const refused = this.refusals.ofRoute(formatResourceKey(key));
    const evaluation = evaluateRoute(route, this.view, {
      controllerName: this.controllerName,
      now: pass.now,
      parents: pass.lookup,
      hostDataPlane: this.hostDataPlane,
      ...(refused === undefined
        ? {}
        : { dataPlaneRefusals: (gateway: ResourceKey) => refused.get(formatResourceKey(gateway)) ?? [] }),
    });
    this.counters.routesEvaluated++;
    this.evaluations.keep(formatResourceKey(key), evaluation);
    out.push(
      deliverTo(patcherName(key.kind), {
        type: 'status.desired',
        key,
        status: routeStatusOf(route, evaluation, this.controllerName),
      }),
    );
    for (const parent of evaluation.parents)
      pass.gateways.set(formatResourceKey(parent.gateway), parent.gateway);
    for (const dependency of this.index.dependenciesOf(key)) {
      // The policies of the Services and Backends this route uses report the route's Gateways as their ancestors.
      if (
        (dependency.kind === 'Service' || dependency.kind === 'Backend') &&
        this.index.hasDependentsOfKind('BackendTLSPolicy')
      ) {
        for (const policy of backendTLSPoliciesOf(this.index, dependency, policiesOfService))
          pass.policies.set(formatResourceKey(policy), policy);
      }
      // So do the InferencePools it sends to, as their parents.
      if (dependency.kind === 'InferencePool') pass.pools.set(formatResourceKey(dependency), dependency);
    }
    return 1;
  }

  private resolveGateway(pass: Pass, key: ResourceKey, out: DeliverRequest[]): number {
    const id = formatResourceKey(key);
    const gateway = this.view.get('Gateway', key.namespace, key.name);
    const gatewayClass =
      gateway && this.view.get('GatewayClass', undefined, String(gateway.spec?.gatewayClassName ?? ''));
    if (gateway === undefined || !isOurGatewayClass(gatewayClass, this.controllerName)) {
      if (this.resolvedGateways.delete(id))
        out.push(deliverTo(GATEWAY_DEPLOYER, { type: 'gateway.removed', gateway: key }));
      return 1;
    }
    const listeners = evaluateGatewayListeners(gateway, this.view);
    const evaluations = this.evaluations.attachedTo(
      key,
      listeners.listenerSets.map((set) => set.key),
      pass.now,
      pass.lookup,
    );
    const attached = countAttachedRoutes(evaluations);
    const built = buildGatewayIR(gateway, this.view, evaluations, {
      controllerName: this.controllerName,
      listeners,
    });
    // Without any policy in the index there is nothing to look up (the common case at scale costs nothing).
    const anyPolicy = ENVOY_GATEWAY_POLICY_KINDS.some((kind) => this.index.hasDependentsOfKind(kind));
    const ir =
      built && anyPolicy
        ? applyPolicies(built, this.view, this.policyLookup, POLICY_KINDS, {
            hostDataPlane: this.hostDataPlane,
            ...(this.oidcDiscovery === undefined ? {} : { oidcDiscovery: this.oidcDiscovery }),
          })
        : built;
    // The policies whose status read the routes of this Gateway or of its ListenerSets (an HTTP/1.0 default host,
    // the routes a Gateway-level policy is overridden on): their statuses follow the routes, as the IR does.
    this.routeReads.readersOf([key, ...listeners.listenerSets.map((set) => set.key)], pass.policies);
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
    return 1 + evaluations.length;
  }

  /** The Gateways the pass's changed policies apply to, now or before, join its Gateways; returns the work units. */
  private retargetedPolicies(pass: Pass): number {
    for (const key of pass.retargeted)
      for (const gateway of this.retargetedGateways(key, pass.now, pass.lookup))
        pass.gateways.set(formatResourceKey(gateway), gateway);
    const units = pass.retargeted.length;
    pass.retargeted.length = 0;
    return units;
  }

  /** The Gateways an Envoy Gateway policy applies to now, and those it applied to before (now remembered). */
  private retargetedGateways(key: ResourceKey, now: string, lookup: ParentLookup): ResourceKey[] {
    const id = formatResourceKey(key);
    const found = new Map<string, ResourceKey>();
    for (const gateway of this.policyGateways.get(id) ?? []) found.set(formatResourceKey(gateway), gateway);
    const policy = isPolicyKind(key.kind) ? this.view.get(key.kind, key.namespace, key.name) : undefined;
    const current = new Map<string, ResourceKey>();
    for (const target of policy === undefined ? [] : policyTargets(policy, this.view)) {
      if (target.key.kind === 'Gateway') current.set(formatResourceKey(target.key), target.key);
      else if (target.key.kind === 'ListenerSet') {
        for (const parent of this.index.dependenciesOf(target.key))
          if (parent.kind === 'Gateway') current.set(formatResourceKey(parent), parent);
      } else if (ROUTE_KIND_SET.has(target.key.kind) || target.key.kind === 'AIGatewayRoute') {
        for (const parent of this.evaluations.of(target.key, now, lookup)?.parents ?? [])
          current.set(formatResourceKey(parent.gateway), parent.gateway);
      }
    }
    if (current.size === 0) this.policyGateways.delete(id);
    else this.policyGateways.set(id, [...current.values()]);
    for (const [gatewayId, gateway] of current) found.set(gatewayId, gateway);
    return [...found.values()];
  }
}

/** RFC 3339 at second precision, as Kubernetes stores condition times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
