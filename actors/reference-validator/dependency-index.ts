// Reverse dependencies between objects (Secret → Gateways, Service → Routes, Gateway → Routes …), kept from what
// each object reports it depends on. A dependency named ANY_NAME stands for every object of that kind in that
// namespace (or in every namespace when it has none), as ReferenceGrants and ListenerSets are found.
import { ANY_NAME, formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';

export class DependencyIndex {
  /** dependent id → the ids it depends on */
  private readonly forward = new Map<string, readonly string[]>();
  /**
   * dependency id → the ids of its dependents (their keys are in `keys`): the one id itself while there is one (a
   * policy's target at scale: 10,000 routes each with its BackendTrafficPolicy, where a Set or Map of one entry
   * costs ~180 bytes), a Set once there are more.
   */
  private readonly reverse = new Map<string, string | Set<string>>();
  /** id → key, for every id in `forward` or `reverse` (and no other: an id neither depends nor is depended on goes). */
  private readonly keys = new Map<string, ResourceKey>();
  /** kind → how many objects of that kind are dependents here */
  private readonly dependentKinds = new Map<string, number>();
  /**
   * kind → how many dependency ids of that kind are in `reverse`: `dependentsOf` an object of a kind nothing depends
   * on (routes, at scale: 100,000 lookups per full sync, one per policy kind per route) answers without
   * formatting or looking up a key.
   */
  private readonly dependedOnKinds = new Map<string, number>();

  /**
   * Replaces what `dependent` depends on; returns the keys it depended on before. Entries that stay are written over,
   * not deleted and added again: a Map keeps a deleted entry's slot until it grows, so an update that deleted and
   * re-added a route's entries doubled these tables under churn (bench/controlplane.churn's live heap). `id`: its
   * formatted key.
   */
  set(
    dependent: ResourceKey,
    dependsOn: readonly ResourceKey[],
    id = formatResourceKey(dependent),
  ): ResourceKey[] {
    const before = this.forward.get(id);
    const keysBefore = before === undefined ? [] : this.keysOf(before);
    const ids = dependsOn.map((key) => {
      const dependencyId = formatResourceKey(key);
      this.keys.set(dependencyId, key);
      const dependents = this.reverse.get(dependencyId);
      if (dependents === undefined) {
        this.reverse.set(dependencyId, id);
        this.dependedOnKinds.set(key.kind, (this.dependedOnKinds.get(key.kind) ?? 0) + 1);
      } else if (typeof dependents !== 'string') dependents.add(id);
      else if (dependents !== id) this.reverse.set(dependencyId, new Set([dependents, id]));
      return dependencyId;
    });
    this.forward.set(id, ids);
    if (before === undefined)
      this.dependentKinds.set(dependent.kind, (this.dependentKinds.get(dependent.kind) ?? 0) + 1);
    else if (before.length > 0) {
      const now = new Set(ids);
      for (const dependencyId of before) if (!now.has(dependencyId)) this.dropDependent(dependencyId, id);
    }
    this.keys.set(id, dependent);
    return keysBefore;
  }

  /** Forgets `dependent`; returns the keys it depended on. `id`: its formatted key. */
  clear(dependent: ResourceKey, id = formatResourceKey(dependent)): ResourceKey[] {
    const before = this.forward.get(id);
    if (before === undefined) return [];
    const keysBefore = this.keysOf(before);
    this.dependentKinds.set(dependent.kind, (this.dependentKinds.get(dependent.kind) ?? 1) - 1);
    this.forward.delete(id);
    for (const dependencyId of before) this.dropDependent(dependencyId, id);
    this.forget(id);
    return keysBefore;
  }

  private keysOf(ids: readonly string[]): ResourceKey[] {
    return ids.map((dependencyId) => this.keys.get(dependencyId)!).filter((key) => key !== undefined);
  }

  /** `id` no longer depends on `dependencyId`; a dependency nothing depends on any more goes. */
  private dropDependent(dependencyId: string, id: string): void {
    const dependents = this.reverse.get(dependencyId);
    if (dependents === undefined) return;
    const none =
      typeof dependents === 'string' ? dependents === id : dependents.delete(id) && dependents.size === 0;
    if (none) {
      this.reverse.delete(dependencyId);
      const kind = this.keys.get(dependencyId)?.kind;
      if (kind !== undefined) this.dependedOnKinds.set(kind, (this.dependedOnKinds.get(kind) ?? 1) - 1);
      this.forget(dependencyId);
    }
  }

  /** How many ids the index holds a key for: those of objects that depend on something or are depended on. */
  get size(): number {
    return this.keys.size;
  }

  /**
   * Drops the key of an id that neither depends on anything nor is depended on any more: objects come and go under
   * new names (a churn of created and deleted routes), and their ids must not pile up.
   */
  private forget(id: string): void {
    if (!this.forward.has(id) && !this.reverse.has(id)) this.keys.delete(id);
  }

  /** Every dependency some object has now that `accept` selects, sorted by id. */
  dependencies(accept: (key: ResourceKey) => boolean): ResourceKey[] {
    const found: [string, ResourceKey][] = [];
    for (const id of this.reverse.keys()) {
      const key = this.keys.get(id);
      if (key !== undefined && accept(key)) found.push([id, key]);
    }
    return found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, key]) => key);
  }

  /** Whether any object of `kind` depends on something (is in the index as a dependent). */
  hasDependentsOfKind(kind: string): boolean {
    return (this.dependentKinds.get(kind) ?? 0) > 0;
  }

  dependenciesOf(dependent: ResourceKey): ResourceKey[] {
    return (this.forward.get(formatResourceKey(dependent)) ?? []).map((id) => this.keys.get(id)!);
  }

  /** Objects that depend directly on `key` (by name, or through a wildcard on its kind). */
  dependentsOf(key: ResourceKey, id?: string): ResourceKey[] {
    const ids = this.dependentIds(key, id);
    if (ids === undefined) return [];
    if (typeof ids === 'string') return [this.keys.get(ids)!];
    const keys: ResourceKey[] = [];
    for (const dependent of ids) keys.push(this.keys.get(dependent)!);
    return keys;
  }

  /**
   * The ids of `dependentsOf(key)`, each one's key from `keyOf` (a Gateway's resolution looks each attached route's
   * evaluation up by id: formatting 10,000 keys again was a tenth of a route change there). Read them before the index
   * changes: they may be the index's own.
   */
  dependentIdsOf(key: ResourceKey, id?: string): Iterable<string> {
    const ids = this.dependentIds(key, id);
    return ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids;
  }

  /** The key of an id the index holds. */
  keyOf(id: string): ResourceKey | undefined {
    return this.keys.get(id);
  }

  /** The ids of dependentsOf(key): one id, several, or none. */
  private dependentIds(key: ResourceKey, id: string | undefined): string | ReadonlySet<string> | undefined {
    if ((this.dependedOnKinds.get(key.kind) ?? 0) === 0) return undefined;
    // The ids of `key`, of any name of its kind in its namespace, and of any name of its kind anywhere (as
    // formatResourceKey writes them; built here directly: this runs for every change and every route).
    const prefix = `${key.group === '' ? 'core' : key.group}/${key.kind}/`;
    const exact = this.reverse.get(id ?? formatResourceKey(key));
    const inNamespace = this.reverse.get(`${prefix}${key.namespace ?? ''}/${ANY_NAME}`);
    const anywhere = this.reverse.get(`${prefix}/${ANY_NAME}`);
    // Mostly only the object itself is depended on: no merging needed.
    if (inNamespace === undefined && anywhere === undefined) return exact;
    const found = new Set<string>();
    for (const dependents of [exact, inNamespace, anywhere]) {
      if (typeof dependents === 'string') found.add(dependents);
      else for (const dependent of dependents ?? []) found.add(dependent);
    }
    return found;
  }

  /**
   * `keys` and everything that depends on them, directly or transitively. `standsFor` names the other keys an
   * object is looked up under (an EndpointSlice its Service, a BackendTLSPolicy its target Services), so that a
   * change reaching such an object also reaches what depends on those. `firstId`: the formatted key of `keys[0]`.
   * A dependent is reached by its id as the index holds it, not formatted again (a Gateway's change reaches its
   * routes and their policies: 40,000 formats in the full sync with a BackendTrafficPolicy per route).
   */
  closure(
    keys: readonly ResourceKey[],
    standsFor: (id: string) => readonly ResourceKey[] = () => [],
    firstId?: string,
  ): Map<string, ResourceKey> {
    const seen = new Map<string, ResourceKey>();
    // A stack of keys and, beside it, their ids where known (undefined: formatted when taken).
    const queue = [...keys];
    const queueIds: (string | undefined)[] = keys.map((_, i) => (i === 0 ? firstId : undefined));
    const push = (dependent: string) => {
      queue.push(this.keys.get(dependent)!);
      queueIds.push(dependent);
    };
    while (queue.length > 0) {
      const key = queue.pop()!;
      const id = queueIds.pop() ?? formatResourceKey(key);
      if (seen.has(id)) continue;
      seen.set(id, key);
      const dependents = this.dependentIds(key, id);
      if (typeof dependents === 'string') push(dependents);
      else if (dependents !== undefined) for (const dependent of dependents) push(dependent);
      for (const alias of standsFor(id)) {
        queue.push(alias);
        queueIds.push(undefined);
      }
    }
    return seen;
  }
}
