// The reference validator's working state: which objects a change affects (through the dependency index), and
// the recomputation of exactly those — route statuses, GatewayClass statuses, and per Gateway its listeners,
// attached routes and IR. Route evaluations are cached and recomputed only when something they read changed, so
// changing one route re-evaluates that route and rebuilds only the Gateways it is (or was) attached to.
import { evaluateAIGateway } from '../../model/ai-gateway/evaluate-ai-gateway.ts';
import { evaluateAIGatewayRoute } from '../../model/ai-gateway/route-evaluation.ts';
import { buildGatewayIR } from '../../model/evaluation/build-gateway-ir.ts';
import { createParentLookup, type ParentLookup } from '../../model/gateway-api/attachment.ts';
import {
  backendTLSPolicyAncestors,
  computeBackendTLSPolicyStatus,
} from '../../model/gateway-api/backend-tls-policies.ts';
import { computeGatewayClassStatus, isOurGatewayClass } from '../../model/gateway-api/gateway-class.ts';
import { evaluateGatewayListeners } from '../../model/gateway-api/gateway-listeners.ts';
import {
  countAttachedRoutes,
  evaluateRoute,
  type RouteEvaluation,
  routeStatusOf,
} from '../../model/gateway-api/route-status.ts';
import { computeInferencePoolStatus, poolStatusConcernsUs } from '../../model/inference/pool-status.ts';
import type { DataPlaneRefusal } from '../../model/ir/backend-contract.ts';
import { evaluateMCP } from '../../model/mcp/evaluate-mcp.ts';
import { evaluateMCPRoute } from '../../model/mcp/route-evaluation.ts';
import { policyTargets } from '../../model/policies/attachment.ts';
import { computeBackendStatus } from '../../model/policies/backend.ts';
import { computeEnvoyProxyStatus } from '../../model/policies/envoy-proxy.ts';
import {
  applyPolicies,
  computePolicyStatus,
  isPolicyKind,
  POLICY_KINDS,
  type PolicyLookup,
  policyKindRules,
} from '../../model/policies/index.ts';
import type { OidcDiscoveryView } from '../../model/policies/oidc-discovery.ts';
import { isAIGatewayKind } from '../../model/resources/ai-gateway.ts';
import {
  ENVOY_GATEWAY_POLICY_KINDS,
  type EnvoyGatewayPolicy,
} from '../../model/resources/envoy-gateway-policies.ts';
import { ROUTE_KINDS, type RouteKind } from '../../model/resources/gateway-api.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import { type DeliverRequest, deliverTo } from '../../runtime/outbox.ts';
import { EXTPROC_CONFIG_WRITER } from '../ai-gateway/messages.ts';
import { GATEWAY_DEPLOYER } from '../gateway-deployer/messages.ts';
import { MCP_CONFIG_WRITER } from '../mcp/messages.ts';
import { patcherName, WITHDRAWN_STATUS } from '../patchers/messages.ts';
import { DependencyIndex } from './dependency-index.ts';

const ROUTE_KIND_SET: ReadonlySet<string> = new Set(ROUTE_KINDS);

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

/** A recomputation under way: what it has still to do, and the messages not yet handed out. */
interface Pass {
  readonly now: string;
  readonly lookup: ParentLookup;
  out: DeliverRequest[];
  readonly routes: ResourceKey[];
  readonly gateways: Map<string, ResourceKey>;
  readonly policies: Map<string, ResourceKey>;
  readonly pools: Map<string, ResourceKey>;
  readonly aiChanged: boolean;
  readonly mcpChanged: boolean;
  /** Routes, then the Gateways, policies and pools they (and the dirty set) named, then the AI Gateway kinds, then MCPRoutes. */
  phase: 'routes' | 'gateways' | 'policies' | 'pools' | 'ai' | 'mcp' | 'done';
  /** The current phase's items, and the next one to do. */
  queue: readonly ResourceKey[];
  next: number;
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
  /** The GatewayClasses we wrote a status to: one that stops being ours gets it taken back. */
  private readonly classesWithStatus = new Set<string>();
  /** The MCP proxy configuration has been sent once (the proxy needs one to start, MCPRoutes or not). */
  private mcpConfigSent = false;

  /** Kubernetes mode: the finalizer that keeps a GatewayClass while Gateways use it. */
  private readonly gatewayClassFinalizer: string | undefined;
  private readonly hostDataPlane: boolean;
  private readonly oidcDiscovery: OidcDiscoveryView | undefined;
  /** Per Gateway id, what its data plane refuses of each route (by route id), as the deployer last said. */
  private readonly refusedByGateway = new Map<string, Map<string, readonly DataPlaneRefusal[]>>();
  /** The same by route id → Gateway id, for the routes' evaluations. */
  private readonly refusedByRoute = new Map<string, Map<string, readonly DataPlaneRefusal[]>>();

  constructor(view: ResourceView, controllerName: string, options: ResolutionOptions = {}) {
    this.view = view;
    this.controllerName = controllerName;
    this.gatewayClassFinalizer = options.gatewayClassFinalizer;
    this.hostDataPlane = options.hostDataPlane === true;
    this.oidcDiscovery = options.oidcDiscovery;
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
    // A policy that comes, goes or moves changes which policy wins on its targets (Conflicted) and what the
    // policies of those targets' Gateways say (Overridden): those policies are recomputed too — not the targets.
    if (isPolicyKind(key.kind)) {
      const dirtyPolicies = (target: ResourceKey) => {
        for (const other of this.index.dependentsOf(target))
          if (isPolicyKind(other.kind)) this.dirty.set(formatResourceKey(other), other);
      };
      for (const target of [...before, ...dependsOn]) {
        dirtyPolicies(target);
        for (const parent of this.evaluations.get(formatResourceKey(target))?.parents ?? [])
          dirtyPolicies(parent.gateway);
      }
    }
    // A GatewayClass or Gateway that names (or named) an EnvoyProxy is among that EnvoyProxy's ancestors. Marked
    // directly, not through the index: what depends on the EnvoyProxy has not changed.
    if (key.kind === 'GatewayClass' || key.kind === 'Gateway') {
      for (const proxy of [...before, ...dependsOn]) {
        if (proxy.kind === 'EnvoyProxy') this.dirty.set(formatResourceKey(proxy), proxy);
      }
    }
    // A route or ListenerSet that moved between Gateways changes the old ones too (attached routes, IR).
    for (const parent of [...before, ...dependsOn]) {
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
    const gatewayId = formatResourceKey(gateway);
    const next = new Map<string, { route: ResourceKey; refusals: DataPlaneRefusal[] }>();
    for (const refusal of refusals) {
      if (refusal.route === undefined) continue;
      const routeId = formatResourceKey(refusal.route);
      const entry = next.get(routeId) ?? { route: refusal.route, refusals: [] };
      entry.refusals.push(refusal);
      next.set(routeId, entry);
    }
    const before = this.refusedByGateway.get(gatewayId) ?? new Map<string, readonly DataPlaneRefusal[]>();
    let changed = false;
    const touch = (
      routeId: string,
      route: ResourceKey | undefined,
      now: readonly DataPlaneRefusal[] | undefined,
    ) => {
      const byGateway = this.refusedByRoute.get(routeId) ?? new Map<string, readonly DataPlaneRefusal[]>();
      if (now === undefined) byGateway.delete(gatewayId);
      else byGateway.set(gatewayId, now);
      if (byGateway.size === 0) this.refusedByRoute.delete(routeId);
      else this.refusedByRoute.set(routeId, byGateway);
      if (route !== undefined) this.dirty.set(routeId, route);
      changed = true;
    };
    for (const [routeId, { route, refusals: now }] of next) {
      if (JSON.stringify(before.get(routeId)) !== JSON.stringify(now)) touch(routeId, route, now);
    }
    for (const routeId of before.keys()) {
      if (next.has(routeId)) continue;
      const route = this.evaluations.get(routeId)?.route;
      touch(routeId, route, undefined);
    }
    if (next.size === 0) this.refusedByGateway.delete(gatewayId);
    else this.refusedByGateway.set(gatewayId, new Map([...next].map(([id, e]) => [id, e.refusals])));
    return changed;
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
      // Envoy AI Gateway's kinds: few objects, so any change re-evaluates them all (statuses, ext_proc config).
      aiChanged: dirty.some((key) => isAIGatewayKind(key.kind)),
      // MCPRoutes likewise; their configuration is sent at least once.
      mcpChanged: !this.mcpConfigSent || dirty.some((key) => key.kind === 'MCPRoute'),
      phase: 'routes',
      queue: [],
      next: 0,
    };
    const { out, gateways, routes, policies, pools } = pass;
    for (const key of dirty) {
      if (key.kind === 'BackendTLSPolicy') policies.set(formatResourceKey(key), key);
      if (isPolicyKind(key.kind)) {
        // Its status, and the IR of every Gateway it applies to now or applied to before.
        policies.set(formatResourceKey(key), key);
        for (const gateway of this.retargetedGateways(key, now, lookup))
          gateways.set(formatResourceKey(gateway), gateway);
      }
      if (key.kind === 'InferencePool') pools.set(formatResourceKey(key), key);
      if (key.kind === 'AIGatewayRoute' || key.kind === 'MCPRoute') {
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
        const id = formatResourceKey(key);
        if (status !== undefined) {
          this.classesWithStatus.add(id);
          out.push(deliverTo(patcherName('GatewayClass'), { type: 'status.desired', key, status }));
        } else if (this.classesWithStatus.delete(id) && gatewayClass !== undefined) {
          // Moved to another controller (files can say so; an API server keeps controllerName immutable).
          out.push(
            deliverTo(patcherName('GatewayClass'), { type: 'status.desired', key, status: WITHDRAWN_STATUS }),
          );
        }
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
      } else if (key.kind === 'Backend') {
        // A Backend's status reads its spec alone: cheap, so computed here.
        const backend = this.view.get('Backend', key.namespace, key.name);
        if (backend !== undefined) {
          const status = computeBackendStatus(backend, { now, hostDataPlane: this.hostDataPlane });
          out.push(deliverTo(patcherName('Backend'), { type: 'status.desired', key, status }));
        }
      } else if (key.kind === 'EnvoyProxy') {
        // Its ancestors are the GatewayClasses and Gateways that name it (few): computed here too.
        const proxy = this.view.get('EnvoyProxy', key.namespace, key.name);
        if (proxy !== undefined) {
          const status = computeEnvoyProxyStatus(proxy, this.view, {
            controllerName: this.controllerName,
            now,
          });
          out.push(deliverTo(patcherName('EnvoyProxy'), { type: 'status.desired', key, status }));
        }
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
        this.nextPhase(pass);
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
          spent += this.computePolicy(pass, key, out);
          break;
        case 'pools':
          spent += this.computePool(pass, key, out);
          break;
      }
    }
    if (pass.phase === 'done') this.pass = undefined;
    return { messages: out, done: pass.phase === 'done' };
  }

  /** Moves a pass to its next phase, with that phase's work queue (in the order the earlier phases built it). */
  private nextPhase(pass: Pass): void {
    pass.next = 0;
    if (pass.phase === 'routes') {
      pass.phase = 'gateways';
      pass.queue = [...pass.gateways.values()];
    } else if (pass.phase === 'gateways') {
      pass.phase = 'policies';
      pass.queue = [...pass.policies.values()];
    } else if (pass.phase === 'policies') {
      pass.phase = 'pools';
      pass.queue = [...pass.pools.values()];
    } else {
      pass.phase = pass.aiChanged ? 'ai' : pass.mcpChanged ? 'mcp' : 'done';
      pass.queue = [];
    }
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
    const refused = this.refusedByRoute.get(formatResourceKey(key));
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
    this.evaluations.set(formatResourceKey(key), evaluation);
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
        for (const policy of this.policiesOfService(dependency, policiesOfService))
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
    const evaluations = this.attachedRouteKeys(
      key,
      listeners.listenerSets.map((set) => set.key),
    ).flatMap((routeKey) => {
      const evaluation = this.evaluationOf(routeKey, pass.now, pass.lookup);
      return evaluation === undefined ? [] : [evaluation];
    });
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
        for (const parent of this.evaluationOf(target.key, now, lookup)?.parents ?? [])
          current.set(formatResourceKey(parent.gateway), parent.gateway);
      }
    }
    if (current.size === 0) this.policyGateways.delete(id);
    else this.policyGateways.set(id, [...current.values()]);
    for (const [gatewayId, gateway] of current) found.set(gatewayId, gateway);
    return [...found.values()];
  }

  /** status.ancestors of an Envoy Gateway policy (model/policies/attachment.ts). */
  private computeEnvoyGatewayPolicy(pass: Pass, key: ResourceKey, out: DeliverRequest[]): number {
    if (!isPolicyKind(key.kind)) return 1;
    const policy = this.view.get(key.kind, key.namespace, key.name);
    const rules = policyKindRules(key.kind);
    if (policy === undefined || rules === undefined) return 1;
    let reads = 0;
    const status = computePolicyStatus(policy, rules, this.view, {
      hostDataPlane: this.hostDataPlane,
      ...(this.oidcDiscovery === undefined ? {} : { oidcDiscovery: this.oidcDiscovery }),
      controllerName: this.controllerName,
      now: pass.now,
      lookup: this.policyLookup,
      routeGateways: (route) => {
        reads++;
        const gateways = new Map<string, ResourceKey>();
        for (const parent of this.evaluationOf(route, pass.now, pass.lookup)?.parents ?? [])
          if (parent.accepted) gateways.set(formatResourceKey(parent.gateway), parent.gateway);
        return [...gateways.values()];
      },
      gatewayIsOurs: (gateway) => {
        const object = this.view.get('Gateway', gateway.namespace, gateway.name);
        const gatewayClass =
          object && this.view.get('GatewayClass', undefined, String(object.spec?.gatewayClassName ?? ''));
        return object !== undefined && isOurGatewayClass(gatewayClass, this.controllerName);
      },
      routesOf: (gateway) => {
        const routes = this.attachedRouteKeys(gateway, []);
        reads += routes.length;
        return routes;
      },
    });
    if (status !== undefined)
      out.push(deliverTo(patcherName(key.kind), { type: 'status.desired', key, status }));
    return 1 + reads;
  }

  private computePolicy(pass: Pass, key: ResourceKey, out: DeliverRequest[]): number {
    if (key.kind !== 'BackendTLSPolicy') return this.computeEnvoyGatewayPolicy(pass, key, out);
    const policy = this.view.get('BackendTLSPolicy', key.namespace, key.name);
    if (policy === undefined) return 1;
    const evaluations = this.routesUsingServicesOf(key).flatMap((routeKey) => {
      const evaluation = this.evaluationOf(routeKey, pass.now, pass.lookup);
      return evaluation === undefined ? [] : [evaluation];
    });
    const status = computeBackendTLSPolicyStatus(policy, this.view, {
      controllerName: this.controllerName,
      now: pass.now,
      ancestors: backendTLSPolicyAncestors(policy, evaluations),
    });
    out.push(deliverTo(patcherName('BackendTLSPolicy'), { type: 'status.desired', key, status }));
    return 1 + evaluations.length;
  }

  private computePool(pass: Pass, key: ResourceKey, out: DeliverRequest[]): number {
    const pool = this.view.get('InferencePool', key.namespace, key.name);
    if (pool === undefined) return 1;
    const evaluations = this.index.dependentsOf(key).flatMap((routeKey) => {
      if (!ROUTE_KIND_SET.has(routeKey.kind)) return [];
      const evaluation = this.evaluationOf(routeKey, pass.now, pass.lookup);
      return evaluation === undefined ? [] : [evaluation];
    });
    const status = computeInferencePoolStatus(pool, this.view, evaluations, {
      controllerName: this.controllerName,
      now: pass.now,
    });
    // A pool we never reported on (no route of ours uses it) is left alone.
    if (poolStatusConcernsUs(pool, status, this.controllerName))
      out.push(deliverTo(patcherName('InferencePool'), { type: 'status.desired', key, status }));
    return 1 + evaluations.length;
  }

  /** BackendTLSPolicies targeting a Service or Backend (memoised per step: routes share them). */
  private policiesOfService(
    service: ResourceKey,
    memo: Map<string, readonly ResourceKey[]>,
  ): readonly ResourceKey[] {
    const id = formatResourceKey(service);
    let found = memo.get(id);
    if (found === undefined) {
      found = this.index.dependentsOf(service).filter((dependent) => dependent.kind === 'BackendTLSPolicy');
      memo.set(id, found);
    }
    return found;
  }

  /** Routes that use a Service or Backend the policy targets. */
  private routesUsingServicesOf(policy: ResourceKey): ResourceKey[] {
    const found = new Map<string, ResourceKey>();
    for (const service of this.index.dependenciesOf(policy)) {
      if (service.kind !== 'Service' && service.kind !== 'Backend') continue;
      for (const dependent of this.index.dependentsOf(service)) {
        if (ROUTE_KIND_SET.has(dependent.kind)) found.set(formatResourceKey(dependent), dependent);
      }
    }
    return [...found.values()];
  }

  /** The routes that name this Gateway or one of its ListenerSets as a parent. */
  private attachedRouteKeys(gateway: ResourceKey, listenerSets: readonly ResourceKey[]): ResourceKey[] {
    // The Gateway alone (the usual case): its dependents are unique already, no keys to format and merge.
    if (listenerSets.length === 0) return this.index.dependentsOf(gateway).filter(isAttachableRouteKey);
    const found = new Map<string, ResourceKey>();
    for (const parent of [gateway, ...listenerSets]) {
      for (const dependent of this.index.dependentsOf(parent)) {
        if (isAttachableRouteKey(dependent)) found.set(formatResourceKey(dependent), dependent);
      }
    }
    return [...found.values()];
  }

  private evaluationOf(key: ResourceKey, now: string, lookup: ParentLookup): RouteEvaluation | undefined {
    const id = formatResourceKey(key);
    const cached = this.evaluations.get(id);
    if (cached !== undefined) return cached;
    const options = {
      controllerName: this.controllerName,
      now,
      parents: lookup,
      hostDataPlane: this.hostDataPlane,
    };
    let evaluation: RouteEvaluation | undefined;
    // AIGatewayRoutes and MCPRoutes are evaluated as the HTTPRoute Envoy AI Gateway generates for them.
    if (key.kind === 'AIGatewayRoute') {
      const route = this.view.get('AIGatewayRoute', key.namespace, key.name);
      evaluation = route && evaluateAIGatewayRoute(route, this.view, options).evaluation;
    } else if (key.kind === 'MCPRoute') {
      const route = this.view.get('MCPRoute', key.namespace, key.name);
      evaluation = route && evaluateMCPRoute(route, this.view, options).evaluation;
    } else {
      const route = this.view.get(key.kind as RouteKind, key.namespace, key.name);
      evaluation = route && evaluateRoute(route, this.view, options);
    }
    if (evaluation === undefined) return undefined;
    this.counters.routesEvaluated++;
    this.evaluations.set(id, evaluation);
    return evaluation;
  }
}

/** A route of a kind that attaches to Gateways and ListenerSets (the IR and attachedRoutes count it). */
function isAttachableRouteKey(key: ResourceKey): boolean {
  return ROUTE_KIND_SET.has(key.kind) || key.kind === 'AIGatewayRoute' || key.kind === 'MCPRoute';
}

/** RFC 3339 at second precision, as Kubernetes stores condition times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
