// Which policies' statuses read the routes of which Gateway or ListenerSet, recorded as their statuses are computed
// (policy-statuses.ts, the `routesOf` a status asks): a listener's HTTP/1.0 default host picked from its routes'
// hostnames, the routes a Gateway-level policy is overridden on. A route's change reaches its Gateway's resolution,
// which recomputes the statuses recorded as reading the routes of that Gateway or of its ListenerSets — as a
// policy's other reads (its targets, Secrets, Services …) reach it through the dependency index.
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';

export class RouteReads {
  /** Gateway or ListenerSet id → the policies whose last status read its routes. */
  readonly #readers = new Map<string, Map<string, ResourceKey>>();
  /** Policy id → the Gateways and ListenerSets (ids) its last status read the routes of. */
  readonly #read = new Map<string, Set<string>>();

  /** The policy's status is being computed again (or the policy is gone): what it read before no longer counts. */
  forget(policy: ResourceKey): void {
    const id = formatResourceKey(policy);
    for (const target of this.#read.get(id) ?? []) {
      const readers = this.#readers.get(target);
      readers?.delete(id);
      if (readers?.size === 0) this.#readers.delete(target);
    }
    this.#read.delete(id);
  }

  /** The policy's status read the routes of `parent` (a Gateway or ListenerSet). */
  record(policy: ResourceKey, parent: ResourceKey): void {
    const id = formatResourceKey(policy);
    const target = formatResourceKey(parent);
    const read = this.#read.get(id) ?? new Set<string>();
    this.#read.set(id, read.add(target));
    const readers = this.#readers.get(target) ?? new Map<string, ResourceKey>();
    this.#readers.set(target, readers.set(id, policy));
  }

  /** The policies whose status read the routes of any of `parents`, into `into` by id. */
  readersOf(parents: readonly ResourceKey[], into: Map<string, ResourceKey>): void {
    if (this.#readers.size === 0) return;
    for (const parent of parents)
      for (const [id, policy] of this.#readers.get(formatResourceKey(parent)) ?? []) into.set(id, policy);
  }
}
