// Read-only access to the current resources, and an in-memory store with O(1) lookups that implements it.

import {
  type AnyResource,
  CLUSTER_SCOPED_KINDS,
  GROUP_OF_KIND,
  isKindName,
  type KindName,
  type ResourcesByKind,
} from '../resources/kinds.ts';
import type { EndpointSlice } from '../resources/kubernetes.ts';
import { groupOfApiVersion, type ResourceKey } from '../resources/resource-key.ts';

/** What every spec rule reads. Lists are sorted by namespace, then name, so results are deterministic. */
export interface ResourceView {
  get<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): ResourcesByKind[K] | undefined;
  list<K extends KindName>(kind: K, namespace?: string): readonly ResourcesByKind[K][];
  /** EndpointSlices labelled `kubernetes.io/service-name: <serviceName>` in the namespace. */
  endpointSlicesOf(namespace: string, serviceName: string): readonly EndpointSlice[];
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

type ByName = Map<string, AnyResource>;

export class ResourceStore implements ResourceView {
  // kind → namespace ('' when cluster-scoped) → name → object
  readonly #objects = new Map<KindName, Map<string, ByName>>();
  // kind + '\0' + namespace → sorted list; dropped on every write to that namespace
  readonly #sorted = new Map<string, readonly AnyResource[]>();
  // namespace + '\0' + service → slice name → slice
  readonly #slicesByService = new Map<string, Map<string, EndpointSlice>>();

  constructor(objects: Iterable<AnyResource> = []) {
    for (const object of objects) this.upsert(object);
  }

  /** Adds or replaces an object; false (and no change) when its kind, group or name is not one we read. */
  upsert(object: AnyResource): boolean {
    const kind = object?.kind;
    const name = object?.metadata?.name;
    if (!isKindName(kind) || typeof name !== 'string' || name === '') return false;
    if (groupOfApiVersion(object.apiVersion) !== GROUP_OF_KIND[kind]) return false;
    const namespace = namespaceOf(kind, object.metadata.namespace);
    const byName = this.#byName(kind, namespace, true) as ByName;
    const previous = byName.get(name);
    if (previous?.kind === 'EndpointSlice') this.#unindexSlice(previous);
    byName.set(name, object);
    if (object.kind === 'EndpointSlice') this.#indexSlice(object);
    this.#invalidate(kind, namespace);
    return true;
  }

  delete(key: Pick<ResourceKey, 'kind' | 'namespace' | 'name'>): AnyResource | undefined {
    if (!isKindName(key.kind)) return undefined;
    const namespace = namespaceOf(key.kind, key.namespace);
    const byName = this.#byName(key.kind, namespace, false);
    const previous = byName?.get(key.name);
    if (previous === undefined || byName === undefined) return undefined;
    byName.delete(key.name);
    if (previous.kind === 'EndpointSlice') this.#unindexSlice(previous);
    this.#invalidate(key.kind, namespace);
    return previous;
  }

  get<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): ResourcesByKind[K] | undefined {
    return this.#byName(kind, namespaceOf(kind, namespace), false)?.get(name) as
      | ResourcesByKind[K]
      | undefined;
  }

  list<K extends KindName>(kind: K, namespace?: string): readonly ResourcesByKind[K][] {
    const cacheKey = `${kind}\0${namespace === undefined ? '\u0001all' : namespaceOf(kind, namespace)}`;
    let sorted = this.#sorted.get(cacheKey);
    if (sorted === undefined) {
      const namespaces = this.#objects.get(kind);
      const chosen =
        namespace === undefined
          ? [...(namespaces?.keys() ?? [])].sort()
          : [namespaceOf(kind, namespace)].filter((ns) => namespaces?.has(ns));
      sorted = chosen.flatMap((ns) => {
        const byName = namespaces?.get(ns) ?? new Map<string, AnyResource>();
        return [...byName.keys()].sort().map((name) => byName.get(name) as AnyResource);
      });
      this.#sorted.set(cacheKey, sorted);
    }
    return sorted as readonly ResourcesByKind[K][];
  }

  endpointSlicesOf(namespace: string, serviceName: string): readonly EndpointSlice[] {
    const slices = this.#slicesByService.get(`${namespace}\0${serviceName}`);
    if (slices === undefined) return [];
    return [...slices.keys()].sort().map((name) => slices.get(name) as EndpointSlice);
  }

  *all(): IterableIterator<AnyResource> {
    for (const kind of Object.keys(GROUP_OF_KIND) as KindName[]) yield* this.list(kind);
  }

  #byName(kind: KindName, namespace: string, create: boolean): ByName | undefined {
    let namespaces = this.#objects.get(kind);
    if (namespaces === undefined) {
      if (!create) return undefined;
      namespaces = new Map();
      this.#objects.set(kind, namespaces);
    }
    let byName = namespaces.get(namespace);
    if (byName === undefined && create) {
      byName = new Map();
      namespaces.set(namespace, byName);
    }
    return byName;
  }

  #invalidate(kind: KindName, namespace: string): void {
    this.#sorted.delete(`${kind}\0${namespace}`);
    this.#sorted.delete(`${kind}\0\u0001all`);
  }

  #sliceIndexKey(slice: EndpointSlice): string | undefined {
    const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    return typeof service === 'string' ? `${slice.metadata.namespace ?? ''}\0${service}` : undefined;
  }

  #indexSlice(slice: EndpointSlice): void {
    const key = this.#sliceIndexKey(slice);
    if (key === undefined) return;
    let slices = this.#slicesByService.get(key);
    if (slices === undefined) {
      slices = new Map();
      this.#slicesByService.set(key, slices);
    }
    slices.set(slice.metadata.name, slice);
  }

  #unindexSlice(slice: EndpointSlice): void {
    const key = this.#sliceIndexKey(slice);
    if (key === undefined) return;
    const slices = this.#slicesByService.get(key);
    slices?.delete(slice.metadata.name);
    if (slices?.size === 0) this.#slicesByService.delete(key);
  }
}

function namespaceOf(kind: KindName, namespace: unknown): string {
  if (CLUSTER_SCOPED_KINDS.has(kind)) return '';
  return typeof namespace === 'string' ? namespace : '';
}
