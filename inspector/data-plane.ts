// The data-plane view: per Gateway, what the deployer knows (revision, Programmed, each proxy's ACKed revision or
// NACK text, as its backend reported them) joined with what the xDS servers see right now (the open streams and
// what each proxy held at its last ACK, per resource type) and what the Gateway's snapshot serves per type.
import type { ResourceKey } from '../model/resources/resource-key.ts';

/** A Gateway by namespace and name. */
export type GatewayRef = Pick<ResourceKey, 'namespace' | 'name'>;

/** One open xDS stream, as a backend's ADS server lists it. */
export interface ProxyConnectionView {
  readonly gateway: GatewayRef;
  readonly proxy: string;
  readonly protocol: string;
  /** Per type URL, the resources the proxy held at its last ACK. */
  readonly accepted: Readonly<Record<string, number>>;
}

/** A Gateway as the deployer holds it (`inspectPlane`). */
export interface DeployedGatewayView {
  readonly gateway: GatewayRef;
  readonly backend?: string | undefined;
  readonly revision?: number;
  readonly programmed?: unknown;
  readonly proxies?: readonly { proxy: string; ackedRevision?: number; rejection?: string }[];
  readonly ir?: unknown;
}

export interface ProxyRow {
  readonly proxy: string;
  /** Unknown (undefined) where no xDS server is attached, as on a replay. */
  readonly connected: boolean | undefined;
  readonly protocol?: string;
  readonly ackedRevision?: number;
  readonly rejection?: string;
  /** Resources held at the last ACK, per type. */
  readonly resources?: readonly ResourceCount[];
}

export interface DataPlaneGateway extends Omit<DeployedGatewayView, 'proxies'> {
  /** Resources the Gateway's current snapshot serves, per type. */
  readonly served?: readonly ResourceCount[];
  readonly proxies: readonly ProxyRow[];
}

export interface DataPlaneSources {
  readonly connections?: () => readonly ProxyConnectionView[];
  /** Per type URL, the resources of the Gateway's current snapshot (undefined: nothing published). */
  readonly served?: (gateway: GatewayRef) => Readonly<Record<string, number>> | undefined;
}

/** `type.googleapis.com/envoy.config.listener.v3.Listener` → `Listener`. */
export function shortTypeName(typeUrl: string): string {
  return typeUrl.slice(Math.max(typeUrl.lastIndexOf('.'), typeUrl.lastIndexOf('/')) + 1);
}

/** A resource type and how many: a list, not an object keyed by type, so that `Secret` is no field name to redact. */
export interface ResourceCount {
  readonly type: string;
  readonly count: number;
}

// Envoy's types in the order a proxy takes them in; others (agentgateway's) after, by name.
const TYPE_ORDER = ['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment', 'Secret'];
const rank = (type: string) => (TYPE_ORDER.includes(type) ? TYPE_ORDER.indexOf(type) : TYPE_ORDER.length);

function byShortName(counts: Readonly<Record<string, number>>): ResourceCount[] {
  return Object.entries(counts)
    .map(([typeUrl, count]) => ({ type: shortTypeName(typeUrl), count }))
    .sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type));
}

const sameGateway = (a: GatewayRef, b: GatewayRef) =>
  a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');

/**
 * One row per proxy the backend reported or the xDS server has a stream for: a proxy that connected but has not
 * answered yet appears too, and one the backend still lists after its stream closed shows as not connected.
 */
export function joinDataPlane(
  gateways: readonly DeployedGatewayView[],
  sources: DataPlaneSources,
): DataPlaneGateway[] {
  const connections = sources.connections?.();
  return gateways.map(({ proxies = [], ...entry }) => {
    const open = connections?.filter((c) => sameGateway(c.gateway, entry.gateway)) ?? [];
    const names = [...new Set([...proxies.map((p) => p.proxy), ...open.map((c) => c.proxy)])].sort();
    const rows = names.map((name): ProxyRow => {
      const reported = proxies.find((p) => p.proxy === name);
      const stream = open.find((c) => c.proxy === name);
      return {
        proxy: name,
        connected: connections === undefined ? undefined : stream !== undefined,
        ...(stream === undefined
          ? {}
          : { protocol: stream.protocol, resources: byShortName(stream.accepted) }),
        ...(reported?.ackedRevision === undefined ? {} : { ackedRevision: reported.ackedRevision }),
        ...(reported?.rejection === undefined ? {} : { rejection: reported.rejection }),
      };
    });
    const served = sources.served?.(entry.gateway);
    return { ...entry, ...(served === undefined ? {} : { served: byShortName(served) }), proxies: rows };
  });
}
