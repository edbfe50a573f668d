// What every backend's ADS server serves: per Gateway, a snapshot of encoded resources per type URL, each with a
// version that is a hash of its content — so an unchanged resource keeps its version across revisions, a delta
// stream resends only what changed, and a reconnecting proxy's initial_resource_versions can be checked.
import { createHash } from 'node:crypto';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Any } from '../../protos/index.ts';

export interface XdsResource {
  readonly name: string;
  readonly version: string;
  readonly any: Any;
}

export type XdsResources = ReadonlyMap<string, XdsResource>;

/** What the shared server and sessions read of a backend's snapshot. */
export interface Snapshot {
  readonly revision: number;
  /** Per type URL, the resources a proxy subscribing to everything gets. */
  readonly types: ReadonlyMap<string, XdsResources>;
}

/**
 * The version of a resource's JSON. Translation is deterministic (stable key order), so the JSON text identifies
 * the resource's content and an unchanged resource need not be encoded again.
 */
export function contentVersion(json: unknown): string {
  return createHash('sha256').update(JSON.stringify(json)).digest('hex').slice(0, 16);
}

/** The string a Gateway's snapshot and proxies are filed under. */
export function gatewayId(gateway: Pick<ResourceKey, 'namespace' | 'name'>): string {
  return `${gateway.namespace ?? ''}/${gateway.name}`;
}
