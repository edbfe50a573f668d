// A Gateway's Envoy resources encoded for the wire, once per publish: per type URL, each resource's Any and a
// version that is a hash of its content (backends/shared/snapshot.ts) — so an unchanged resource keeps its version
// across revisions, delta streams resend only what changed, and a reconnecting proxy's initial_resource_versions
// can be checked.
import { createHash } from 'node:crypto';
import { envoyApi, RATELIMIT_CONFIG_TYPE_URL, TYPE_URL } from '../../protos/index.ts';
import { contentVersion, type Snapshot, type XdsResource, type XdsResources } from '../shared/snapshot.ts';
import type { EnvoyResources } from './translate-gateway.ts';

export type { XdsResource, XdsResources };

export interface XdsSnapshot extends Snapshot {
  /** Listeners served only by name (api listeners for proxyless gRPC clients). */
  readonly namedOnlyListeners: XdsResources;
}

/**
 * Types an Envoy subscribes to as a whole (wildcard); the others it asks for by name. The rate limit service
 * subscribes to its configurations as a whole too.
 */
export const WILDCARD_TYPES: ReadonlySet<string> = new Set([
  TYPE_URL.listener,
  TYPE_URL.cluster,
  RATELIMIT_CONFIG_TYPE_URL,
]);

export function encodeSnapshot(
  revision: number,
  resources: EnvoyResources,
  previous?: XdsSnapshot,
): XdsSnapshot {
  const families: [string, Readonly<Record<string, unknown>>][] = [
    [TYPE_URL.secret, resources.secrets],
    [TYPE_URL.cluster, resources.clusters],
    [TYPE_URL.clusterLoadAssignment, resources.clusterLoadAssignments],
    [TYPE_URL.listener, resources.listeners],
    [TYPE_URL.routeConfiguration, resources.routeConfigurations],
    [RATELIMIT_CONFIG_TYPE_URL, resources.rateLimitConfigs ?? {}],
  ];
  const types = new Map<string, XdsResources>();
  for (const [typeUrl, byName] of families) {
    types.set(typeUrl, encodeFamily(typeUrl, byName, previous?.types.get(typeUrl)));
  }
  return {
    revision,
    types,
    namedOnlyListeners: encodeFamily(
      TYPE_URL.listener,
      resources.grpcListeners,
      previous?.namedOnlyListeners,
    ),
  };
}

function encodeFamily(
  typeUrl: string,
  byName: Readonly<Record<string, unknown>>,
  previous: XdsResources | undefined,
): XdsResources {
  const api = envoyApi();
  const out = new Map<string, XdsResource>();
  for (const [name, json] of Object.entries(byName)) {
    const version = contentVersion(json);
    const old = previous?.get(name);
    out.set(
      name,
      old !== undefined && old.version === version ? old : { name, version, any: api.pack(typeUrl, json) },
    );
  }
  return out;
}

/** The version of a set of resources as a whole (state-of-the-world version_info). */
export function setVersion(resources: readonly XdsResource[]): string {
  const hash = createHash('sha256');
  for (const resource of [...resources].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(resource.name).update('\0').update(resource.version).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
