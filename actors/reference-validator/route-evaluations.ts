// The reference validator's cache of route evaluations: each route (HTTPRoute and the other Gateway API kinds, and
// AIGatewayRoutes and MCPRoutes as the HTTPRoute Envoy AI Gateway generates for them) is evaluated once and kept
// until a change to what it reads drops it; and which routes a Gateway (and its ListenerSets) has attached.
import { evaluateAIGatewayRoute } from '../../model/ai-gateway/route-evaluation.ts';
import type { ParentLookup } from '../../model/gateway-api/attachment.ts';
import { evaluateRoute, type RouteEvaluation } from '../../model/gateway-api/route-status.ts';
import { evaluateMCPRoute } from '../../model/mcp/route-evaluation.ts';
import { ROUTE_KINDS, type RouteKind } from '../../model/resources/gateway-api.ts';
import type { KindName } from '../../model/resources/kinds.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import type { DependencyIndex } from './dependency-index.ts';

export const ROUTE_KIND_SET: ReadonlySet<string> = new Set(ROUTE_KINDS);

export interface RouteEvaluationsOptions {
  readonly view: ResourceView;
  readonly index: DependencyIndex;
  readonly controllerName: string;
  readonly hostDataPlane: boolean;
  /** Counts every evaluation made. */
  readonly counters: { routesEvaluated: number };
}

export class RouteEvaluations {
  readonly #view: ResourceView;
  readonly #index: DependencyIndex;
  readonly #controllerName: string;
  readonly #hostDataPlane: boolean;
  readonly #counters: { routesEvaluated: number };
  /**
   * By route id; undefined for a route dropped to be evaluated again. A changed route's entry is written over, not
   * deleted and added again: a Map keeps a deleted entry's slot until its table is rebuilt, and V8 doubles a table
   * whose deleted slots are fewer than half of it, so a churn of updates doubled this one (448 → 896 KiB at 10,000
   * routes, bench/controlplane.churn). Only a route that is gone is deleted.
   */
  private readonly cache = new Map<string, RouteEvaluation | undefined>();

  constructor(options: RouteEvaluationsOptions) {
    this.#view = options.view;
    this.#index = options.index;
    this.#controllerName = options.controllerName;
    this.#hostDataPlane = options.hostDataPlane;
    this.#counters = options.counters;
  }

  /** The cached evaluation of a route, by id (undefined when it was never evaluated or was dropped). */
  cached(id: string): RouteEvaluation | undefined {
    return this.cache.get(id);
  }

  /** Keeps an evaluation made elsewhere (a dirty route's, with its data plane's refusals). */
  keep(id: string, evaluation: RouteEvaluation): void {
    this.cache.set(id, evaluation);
  }

  /** Drops a route's evaluation: it is evaluated again when next asked for. */
  drop(key: ResourceKey): void {
    const id = formatResourceKey(key);
    if (!this.cache.has(id)) return;
    if (this.#view.get(key.kind as KindName, key.namespace, key.name) === undefined) this.cache.delete(id);
    else this.cache.set(id, undefined);
  }

  /** The routes that name this Gateway or one of its ListenerSets as a parent. */
  attachedRouteKeys(gateway: ResourceKey, listenerSets: readonly ResourceKey[]): ResourceKey[] {
    // The Gateway alone (the usual case): its dependents are unique already, no keys to format and merge.
    if (listenerSets.length === 0) return this.#index.dependentsOf(gateway).filter(isAttachableRouteKey);
    const found = new Map<string, ResourceKey>();
    for (const parent of [gateway, ...listenerSets]) {
      for (const dependent of this.#index.dependentsOf(parent)) {
        if (isAttachableRouteKey(dependent)) found.set(formatResourceKey(dependent), dependent);
      }
    }
    return [...found.values()];
  }

  /**
   * The evaluations of the routes attached to this Gateway or its ListenerSets: the cached ones, the others evaluated
   * now (and cached). Looked up by the index's ids, not by formatting each route's key again.
   */
  attachedTo(
    gateway: ResourceKey,
    listenerSets: readonly ResourceKey[],
    now: string,
    lookup: ParentLookup,
  ): RouteEvaluation[] {
    const evaluations: RouteEvaluation[] = [];
    const seen = listenerSets.length === 0 ? undefined : new Set<string>();
    for (const parent of [gateway, ...listenerSets]) {
      for (const id of this.#index.dependentIdsOf(parent)) {
        const key = this.#index.keyOf(id);
        if (key === undefined || !isAttachableRouteKey(key)) continue;
        if (seen !== undefined) {
          if (seen.has(id)) continue;
          seen.add(id);
        }
        const evaluation = this.cache.get(id) ?? this.of(key, now, lookup);
        if (evaluation !== undefined) evaluations.push(evaluation);
      }
    }
    return evaluations;
  }

  /** The route's evaluation: the cached one, or evaluated now (and cached). */
  of(key: ResourceKey, now: string, lookup: ParentLookup): RouteEvaluation | undefined {
    const id = formatResourceKey(key);
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const options = {
      controllerName: this.#controllerName,
      now,
      parents: lookup,
      hostDataPlane: this.#hostDataPlane,
    };
    let evaluation: RouteEvaluation | undefined;
    // AIGatewayRoutes and MCPRoutes are evaluated as the HTTPRoute Envoy AI Gateway generates for them.
    if (key.kind === 'AIGatewayRoute') {
      const route = this.#view.get('AIGatewayRoute', key.namespace, key.name);
      evaluation = route && evaluateAIGatewayRoute(route, this.#view, options).evaluation;
    } else if (key.kind === 'MCPRoute') {
      const route = this.#view.get('MCPRoute', key.namespace, key.name);
      evaluation = route && evaluateMCPRoute(route, this.#view, options).evaluation;
    } else {
      const route = this.#view.get(key.kind as RouteKind, key.namespace, key.name);
      evaluation = route && evaluateRoute(route, this.#view, options);
    }
    if (evaluation === undefined) {
      this.cache.delete(id);
      return undefined;
    }
    this.#counters.routesEvaluated++;
    this.cache.set(id, evaluation);
    return evaluation;
  }
}

/** A route of a kind that attaches to Gateways and ListenerSets (the IR and attachedRoutes count it). */
function isAttachableRouteKey(key: ResourceKey): boolean {
  return ROUTE_KIND_SET.has(key.kind) || key.kind === 'AIGatewayRoute' || key.kind === 'MCPRoute';
}
