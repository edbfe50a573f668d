// What the data plane of each Gateway refuses of each route (or part of one), as the deployer last said: kept by
// Gateway and by route, so a route's evaluation can show it and a change of it recomputes exactly those routes.
import type { DataPlaneRefusal } from '../../model/ir/backend-contract.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';

export class DataPlaneRefusals {
  /** Per Gateway id, what its data plane refuses of each route (by route id). */
  readonly #byGateway = new Map<string, Map<string, readonly DataPlaneRefusal[]>>();
  /** The same by route id → Gateway id, for the routes' evaluations. */
  readonly #byRoute = new Map<string, Map<string, readonly DataPlaneRefusal[]>>();

  /** What the data planes refuse of a route, by Gateway id; undefined when none refuses any of it. */
  ofRoute(routeId: string): ReadonlyMap<string, readonly DataPlaneRefusal[]> | undefined {
    return this.#byRoute.get(routeId);
  }

  /**
   * The data plane of a Gateway now refuses these; returns the routes whose refusals changed (id, and key when
   * known: `routeOf` for a route no longer refused).
   */
  record(
    gateway: ResourceKey,
    refusals: readonly DataPlaneRefusal[],
    routeOf: (routeId: string) => ResourceKey | undefined,
  ): [string, ResourceKey | undefined][] {
    const gatewayId = formatResourceKey(gateway);
    const next = new Map<string, { route: ResourceKey; refusals: DataPlaneRefusal[] }>();
    for (const refusal of refusals) {
      if (refusal.route === undefined) continue;
      const routeId = formatResourceKey(refusal.route);
      const entry = next.get(routeId) ?? { route: refusal.route, refusals: [] };
      entry.refusals.push(refusal);
      next.set(routeId, entry);
    }
    const before = this.#byGateway.get(gatewayId) ?? new Map<string, readonly DataPlaneRefusal[]>();
    const changed: [string, ResourceKey | undefined][] = [];
    const touch = (
      routeId: string,
      route: ResourceKey | undefined,
      now: readonly DataPlaneRefusal[] | undefined,
    ) => {
      const byGateway = this.#byRoute.get(routeId) ?? new Map<string, readonly DataPlaneRefusal[]>();
      if (now === undefined) byGateway.delete(gatewayId);
      else byGateway.set(gatewayId, now);
      if (byGateway.size === 0) this.#byRoute.delete(routeId);
      else this.#byRoute.set(routeId, byGateway);
      changed.push([routeId, route]);
    };
    for (const [routeId, { route, refusals: now }] of next) {
      if (JSON.stringify(before.get(routeId)) !== JSON.stringify(now)) touch(routeId, route, now);
    }
    for (const routeId of before.keys()) {
      if (next.has(routeId)) continue;
      touch(routeId, routeOf(routeId), undefined);
    }
    if (next.size === 0) this.#byGateway.delete(gatewayId);
    else this.#byGateway.set(gatewayId, new Map([...next].map(([id, e]) => [id, e.refusals])));
    return changed;
  }
}
