// A Gateway's Envoy resources encoded for the wire, once per publish: per type URL, each resource's Any and a
// version that is a hash of its content (backends/shared/snapshot.ts) — so an unchanged resource keeps its version
// across revisions, delta streams resend only what changed, and a reconnecting proxy's initial_resource_versions
// can be checked.
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import { type Any, envoyApi, RATELIMIT_CONFIG_TYPE_URL, TYPE_URL } from '../../protos/index.ts';
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

/** A resource as JSON with its `@type`, as the secret-field table reads Envoy's messages. */
export function envoyResourceJson(resource: XdsResource): unknown {
  return { '@type': resource.any.type_url, ...(envoyApi().unpack(resource.any) as object) };
}

function encodeFamily(
  typeUrl: string,
  byName: Readonly<Record<string, unknown>>,
  previous: XdsResources | undefined,
): XdsResources {
  const api = envoyApi();
  const out = new Map<string, XdsResource>();
  for (const [name, json] of Object.entries(byName)) {
    const old = previous?.get(name);
    if (
      typeUrl === TYPE_URL.routeConfiguration &&
      routeCount(json as RouteConfigurationJson) >= ROUTES_KEPT_ENCODED
    ) {
      // Encoded from its routes' kept bytes first, then versioned by those bytes: writing the whole configuration
      // out as JSON to hash it cost more than encoding it this way (a twelfth of a route change at 10,000 routes).
      const any = packRouteConfiguration(json as RouteConfigurationJson, old?.any);
      const version = bytesVersion(any.value);
      out.set(name, old !== undefined && old.version === version ? old : { name, version, any });
      continue;
    }
    const version = contentVersion(json);
    if (old !== undefined && old.version === version) {
      out.set(name, old);
      continue;
    }
    const any =
      typeUrl === TYPE_URL.routeConfiguration
        ? packRouteConfiguration(json as RouteConfigurationJson, old?.any)
        : api.pack(typeUrl, json);
    out.set(name, { name, version, any });
  }
  return out;
}

function routeCount(json: RouteConfigurationJson): number {
  return (json.virtualHosts ?? []).reduce((n, host) => n + (host.routes?.length ?? 0), 0);
}

/**
 * The version of an encoded resource, by its bytes: the encoding is deterministic (the same JSON gives the same
 * bytes), so equal bytes are equal content as the proxy reads it.
 */
function bytesVersion(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

interface RouteConfigurationJson {
  readonly virtualHosts?: readonly { readonly routes?: readonly unknown[] }[];
}

/** Below this many routes a RouteConfiguration is encoded whole: the per-route bytes would cost more than they save. */
const ROUTES_KEPT_ENCODED = 64;
/**
 * The encoded routes of a RouteConfiguration (each as the VirtualHost field that carries it: tag, length, bytes), by
 * the route's JSON text, for encoding its next revision.
 */
const encodedRoutes = new WeakMap<Any, Map<string, Uint8Array>>();
/** The same, by the route's JSON object (immutable once translated), with its text. */
const encodedRouteObjects = new WeakMap<object, { readonly text: string; readonly field: Uint8Array }>();

/**
 * A RouteConfiguration whose virtual hosts hold many routes, encoded from each route's bytes: a repeated field is
 * the concatenation of its items, so the routes that did not change since `previous` (all but one, after a route
 * change) are not converted and encoded again — with every route on one Gateway that was a fifth of the
 * controller's CPU per change at 10,000 routes. The bytes decode to the same message as encoding it whole.
 */
function packRouteConfiguration(json: RouteConfigurationJson, previous: Any | undefined): Any {
  const api = envoyApi();
  const hosts = json.virtualHosts ?? [];
  if (routeCount(json) < ROUTES_KEPT_ENCODED) return api.pack(TYPE_URL.routeConfiguration, json);
  fields ??= fieldNumbers();
  const before = (previous === undefined ? undefined : encodedRoutes.get(previous)) ?? new Map();
  const kept = new Map<string, Uint8Array>();
  const { virtualHosts: _hosts, ...own } = json as Record<string, unknown>;
  const parts: Uint8Array[] = [api.encode(TYPE_URL.routeConfiguration, own)];
  for (const host of hosts) {
    const { routes, ...hostOwn } = host as { routes?: readonly unknown[] };
    const hostParts: Uint8Array[] = [api.encode(VIRTUAL_HOST_TYPE_URL, hostOwn)];
    for (const route of routes ?? []) {
      // The same route object as in an earlier revision (the Envoy backend keeps each route's translation,
      // routes.ts): its bytes without writing its JSON out again.
      let encoded = encodedRouteObjects.get(route as object);
      if (encoded === undefined) {
        const text = JSON.stringify(route);
        const field =
          before.get(text) ??
          kept.get(text) ??
          lengthDelimited(fields.routes, api.encode(ROUTE_TYPE_URL, route));
        encoded = { text, field };
        encodedRouteObjects.set(route as object, encoded);
      }
      kept.set(encoded.text, encoded.field);
      hostParts.push(encoded.field);
    }
    parts.push(lengthDelimited(fields.virtualHosts, Buffer.concat(hostParts)));
  }
  const any: Any = { type_url: TYPE_URL.routeConfiguration, value: Buffer.concat(parts) };
  encodedRoutes.set(any, kept);
  return any;
}

const VIRTUAL_HOST_TYPE_URL = 'type.googleapis.com/envoy.config.route.v3.VirtualHost';
const ROUTE_TYPE_URL = 'type.googleapis.com/envoy.config.route.v3.Route';

/** The field numbers of RouteConfiguration.virtual_hosts and VirtualHost.routes, as the protos define them. */
function fieldNumbers(): { readonly virtualHosts: number; readonly routes: number } {
  const api = envoyApi();
  const field = (typeUrl: string, name: string) => {
    const found = api.messageType(typeUrl).fields[name];
    if (found === undefined || !found.repeated) throw new Error(`${typeUrl} has no repeated field ${name}`);
    return found.id;
  };
  return {
    virtualHosts: field(TYPE_URL.routeConfiguration, 'virtual_hosts'),
    routes: field(VIRTUAL_HOST_TYPE_URL, 'routes'),
  };
}
let fields: ReturnType<typeof fieldNumbers> | undefined;

/** One length-delimited field: its tag, the length, the bytes. */
function lengthDelimited(field: number, bytes: Uint8Array): Uint8Array {
  return protobuf.Writer.create()
    .uint32((field << 3) | 2)
    .bytes(bytes)
    .finish();
}

/** The version of a set of resources as a whole (state-of-the-world version_info). */
export function setVersion(resources: readonly XdsResource[]): string {
  const hash = createHash('sha256');
  for (const resource of [...resources].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(resource.name).update('\0').update(resource.version).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
