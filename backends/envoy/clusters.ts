// Clusters: one per (resolved backend, HTTP version) a Gateway's routes use, fed by EDS; ExternalName
// Services resolve by DNS instead. HTTP/2 (h2c) for gRPC routes and for appProtocols that ask for it.

import type { ClusterTrafficIR } from '../../model/ir/traffic-policies.ts';
import { formatResourceKey } from '../../model/resources/resource-key.ts';
import { type UpstreamHttp1, upstreamHttp1Suffix } from './client-traffic.ts';
import { clusterTrafficSuffix, upstreamHttp2Options } from './cluster-traffic.ts';
import type { ClusterUse, ResolvedBackendIR } from './cluster-use.ts';
import { backendClusterFields, backendUsesEds } from './envoy-gateway-backends.ts';
import { ADS_SOURCE, BLACKHOLE_CLUSTER, type Json, TYPE } from './envoy-types.ts';
import { poolClusterFields } from './inference.ts';
import { clusterName } from './names.ts';
import {
  type BackendClusterContext,
  presentedCertificate,
  type UpstreamClientCertificate,
  upstreamTls,
} from './upstream-tls.ts';

const HTTP2_APP_PROTOCOLS = new Set(['kubernetes.io/h2c', 'h2c', 'grpc', 'http2', 'h2']);
const CONNECT_TIMEOUT = '5s';

/** A cluster built whole, and its ClusterLoadAssignment when it takes its endpoints from EDS. */
export interface BuiltCluster {
  readonly cluster: Json;
  readonly loadAssignment?: Json;
}

/** Per-endpoint weights are scaled so a backend's share survives integer rounding to within 0.1 %. */
const BLEND_SCALE = 1000;

/**
 * What one piece of translation added to a ClusterSet (`ClusterSet.recording`), to add again without translating
 * it again (`ClusterSet.replay`): the same additions in the same order leave the set as the translation did.
 */
export type ClusterAdditions = readonly (
  | { readonly use: ClusterUse }
  | { readonly built: string; readonly cluster: BuiltCluster }
  | { readonly blackhole: true }
)[];

/** Collects the clusters translation refers to, so each is generated once. */
export class ClusterSet {
  readonly #uses = new Map<string, ClusterUse>();
  readonly #built = new Map<string, BuiltCluster>();
  #blackhole = false;
  #recording: ClusterAdditions[number][] | undefined;
  /** The Gateway's backend client certificate, for clusters built whole (upstream-tls.ts). */
  readonly clientCertificate: UpstreamClientCertificate;

  constructor(clientCertificate: UpstreamClientCertificate = undefined) {
    this.clientCertificate = clientCertificate;
  }

  /** A cluster a feature builds whole (an AI Gateway fallback rule's), with its endpoints when fed by EDS. */
  built(name: string, cluster: BuiltCluster): string {
    this.#recording?.push({ built: name, cluster });
    if (!this.#built.has(name)) this.#built.set(name, cluster);
    return name;
  }

  /** Runs `translate` and returns its result with what it added to this set, in order. */
  recording<T>(translate: () => T): { readonly result: T; readonly additions: ClusterAdditions } {
    const outer = this.#recording;
    const additions: ClusterAdditions[number][] = [];
    this.#recording = additions;
    try {
      return { result: translate(), additions };
    } finally {
      this.#recording = outer;
      outer?.push(...additions);
    }
  }

  /** Adds again what a recorded translation added (see `recording`). */
  replay(additions: ClusterAdditions): void {
    this.#recording?.push(...additions);
    for (const addition of additions) {
      if ('use' in addition) {
        if (!this.#uses.has(addition.use.name)) this.#uses.set(addition.use.name, addition.use);
      } else if ('built' in addition) {
        if (!this.#built.has(addition.built)) this.#built.set(addition.built, addition.cluster);
      } else this.#blackhole = true;
    }
  }

  get builtClusters(): ReadonlyMap<string, BuiltCluster> {
    return this.#built;
  }

  /**
   * The cluster for a backend; `speaksGrpc` when a GRPCRoute sends to it; `traffic`: the cluster settings of the
   * rule's BackendTrafficPolicy (rules with other settings get another cluster for the same backend); `http1`: the
   * HTTP/1 settings of the listener's ClientTrafficPolicy (an HTTP/2 cluster has no use for them).
   */
  use(
    backend: ResolvedBackendIR,
    speaksGrpc: boolean,
    traffic?: ClusterTrafficIR,
    http1?: UpstreamHttp1,
  ): string {
    const http2 = speaksGrpc || HTTP2_APP_PROTOCOLS.has(backend.appProtocol ?? '');
    const upstreamHttp1 = http2 ? undefined : http1;
    const name = `${clusterName(backend, http2)}${clusterTrafficSuffix(traffic)}${upstreamHttp1Suffix(upstreamHttp1)}`;
    if (this.#recording === undefined && this.#uses.has(name)) return name;
    // What this call adds when the name is new, recorded as such: replayed into a set without that name, it adds
    // what the call would have added there.
    const use: ClusterUse = {
      name,
      backend,
      http2,
      ...(traffic === undefined ? {} : { traffic }),
      ...(upstreamHttp1 === undefined ? {} : { http1: upstreamHttp1 }),
    };
    this.#recording?.push({ use });
    if (!this.#uses.has(name)) this.#uses.set(name, use);
    return name;
  }

  /**
   * One cluster holding the endpoints of several backends, each endpoint weighted so that every backend gets its
   * share of the connections: for proxies that route to a single cluster (UDP). Backends without endpoints add
   * nothing; an ExternalName Service or a Backend cannot be blended (undefined).
   */
  blend(name: string, parts: readonly ResolvedBackendIR[]): string | undefined {
    const endpoints: { address: string; port: number }[] = [];
    const weights: number[] = [];
    for (const part of parts) {
      if (part.kind === 'Backend') return undefined;
      if (part.kind === 'Service' && part.externalName !== undefined) return undefined;
      const own = part.endpoints ?? [];
      for (const endpoint of own) {
        endpoints.push(endpoint);
        weights.push(Math.max(1, Math.round((part.weight * BLEND_SCALE) / own.length)));
      }
    }
    const base = parts[0];
    if (base === undefined) return undefined;
    const use: ClusterUse = {
      name,
      backend: { ...base, endpoints } as ResolvedBackendIR,
      http2: false,
      endpointWeights: weights,
    };
    this.#recording?.push({ use });
    if (!this.#uses.has(name)) this.#uses.set(name, use);
    return name;
  }

  blackhole(): string {
    this.#recording?.push({ blackhole: true });
    this.#blackhole = true;
    return BLACKHOLE_CLUSTER;
  }

  get uses(): readonly ClusterUse[] {
    return [...this.#uses.values()];
  }

  get usesBlackhole(): boolean {
    return this.#blackhole;
  }
}

/**
 * The client certificate a cluster presents (upstream-tls.ts), undefined when it does not speak TLS. Asked once per
 * cluster: `translateCluster` and `usesEds` take the answer.
 */
export function clusterCertificate(
  use: ClusterUse,
  context: BackendClusterContext,
): UpstreamClientCertificate {
  const backend = use.backend;
  if (backend.kind === 'Service' && backend.tls !== undefined)
    return presentedCertificate(undefined, '', context);
  if (backend.kind === 'Backend' && backend.tls !== undefined)
    return presentedCertificate(backend.tls.clientCertificate, formatResourceKey(backend.backend), context);
  return undefined;
}

export function translateCluster(
  use: ClusterUse,
  context: BackendClusterContext,
  clientCertificate: UpstreamClientCertificate = clusterCertificate(use, context),
): Json {
  if (clientCertificate === 'refuse') {
    return {
      name: use.name,
      connectTimeout: CONNECT_TIMEOUT,
      type: 'STATIC',
      loadAssignment: { clusterName: use.name, endpoints: [] },
    };
  }
  if (use.backend.kind === 'Backend') {
    return {
      name: use.name,
      connectTimeout: CONNECT_TIMEOUT,
      ...(use.http2 ? http2Options() : {}),
      ...backendClusterFields(use.name, use.backend, use.http2, clientCertificate),
    };
  }
  const base: Json = {
    name: use.name,
    connectTimeout: CONNECT_TIMEOUT,
    ...(use.http2 ? http2Options() : {}),
    ...(use.backend.kind === 'Service' && use.backend.tls !== undefined
      ? { transportSocket: upstreamTls(use.backend.tls, use.http2, clientCertificate) }
      : {}),
  };
  const backend = use.backend;
  if (backend.kind === 'Service' && backend.externalName !== undefined) {
    return {
      ...base,
      type: 'LOGICAL_DNS',
      dnsLookupFamily: 'V4_PREFERRED',
      loadAssignment: {
        clusterName: use.name,
        endpoints: [
          {
            lbEndpoints: [
              {
                endpoint: {
                  address: { socketAddress: { address: backend.externalName, portValue: backend.port } },
                },
              },
            ],
          },
        ],
      },
    };
  }
  return { ...base, type: 'EDS', edsClusterConfig: { edsConfig: ADS_SOURCE }, ...poolClusterFields(use) };
}

function http2Options(): Json {
  return {
    typedExtensionProtocolOptions: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': TYPE.httpProtocolOptions,
        explicitHttpConfig: { http2ProtocolOptions: upstreamHttp2Options() },
      },
    },
  };
}

/** True when the cluster takes its endpoints from EDS (and so needs a ClusterLoadAssignment). */
export function usesEds(use: ClusterUse, clientCertificate: UpstreamClientCertificate): boolean {
  if (clientCertificate === 'refuse') return false;
  if (use.backend.kind === 'Backend') return backendUsesEds(use.backend);
  return !(use.backend.kind === 'Service' && use.backend.externalName !== undefined);
}

export function blackholeCluster(): Json {
  return {
    name: BLACKHOLE_CLUSTER,
    type: 'STATIC',
    connectTimeout: CONNECT_TIMEOUT,
    loadAssignment: { clusterName: BLACKHOLE_CLUSTER, endpoints: [] },
  };
}
