// Identity of a Kubernetes object, independent of its version: the key of every index and message.

import { interned } from './interned.ts';

export interface ResourceKey {
  readonly group: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const INFERENCE_GROUP = 'inference.networking.k8s.io';
export const SWITCHYARD_GROUP = 'switchyard.dev';
export const CORE_GROUP = '';
export const DISCOVERY_GROUP = 'discovery.k8s.io';

/** A key whose name is ANY_NAME stands for every object of its kind in its namespace (a dependency on all of them). */
export const ANY_NAME = '*';

export function resourceKey(
  group: string,
  kind: string,
  namespace: string | undefined,
  name: string,
): ResourceKey {
  return namespace === undefined || namespace === ''
    ? { group, kind, name }
    : { group, kind, namespace, name };
}

/** The API group of an apiVersion: `gateway.networking.k8s.io/v1` → `gateway.networking.k8s.io`, `v1` → ``. */
export function groupOfApiVersion(apiVersion: unknown): string {
  if (typeof apiVersion !== 'string') return '';
  const slash = apiVersion.indexOf('/');
  // Interned: a slice of the apiVersion would be an object of its own in every key made from it.
  return slash < 0 ? CORE_GROUP : interned(apiVersion.slice(0, slash));
}

interface KeyedObject {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly metadata?: { readonly name?: unknown; readonly namespace?: unknown };
}

export function keyOf(object: KeyedObject): ResourceKey {
  const namespace = object.metadata?.namespace;
  return resourceKey(
    groupOfApiVersion(object.apiVersion),
    typeof object.kind === 'string' ? object.kind : '',
    typeof namespace === 'string' ? namespace : undefined,
    typeof object.metadata?.name === 'string' ? object.metadata.name : '',
  );
}

/** Canonical string form `group/kind/namespace/name` (`core` for the core group, empty namespace when cluster-scoped). */
export function formatResourceKey(key: ResourceKey): string {
  // join builds one flat string; a template literal would build a rope of slices of the YAML it was read from,
  // and these keys are stored in many indexes (~10 MiB of rope nodes at 13,000 objects).
  // Each index keeps the id it formatted (the files source, the owners, the dependency index, the status store,
  // the patchers: 6-9 of them per object): one string for all of them.
  return interned([key.group === '' ? 'core' : key.group, key.kind, key.namespace ?? '', key.name].join('/'));
}

/** `Kind namespace/name` (`Kind name` when cluster-scoped), as people write it: in messages and logs. */
export function describeResourceKey(key: {
  kind: string;
  namespace?: string | undefined;
  name: string;
}): string {
  return `${key.kind} ${key.namespace === undefined || key.namespace === '' ? '' : `${key.namespace}/`}${key.name}`;
}

export function parseResourceKey(text: string): ResourceKey {
  const parts = text.split('/');
  if (parts.length !== 4) throw new Error(`not a resource key (want group/kind/namespace/name): ${text}`);
  const [group = '', kind = '', namespace = '', name = ''] = parts;
  return resourceKey(group === 'core' ? CORE_GROUP : group, kind, namespace, name);
}

export function sameResourceKey(a: ResourceKey, b: ResourceKey): boolean {
  return (
    a.group === b.group &&
    a.kind === b.kind &&
    (a.namespace ?? '') === (b.namespace ?? '') &&
    a.name === b.name
  );
}

export function compareResourceKeys(a: ResourceKey, b: ResourceKey): number {
  const left = formatResourceKey(a);
  const right = formatResourceKey(b);
  return left < right ? -1 : left > right ? 1 : 0;
}
