// Clusters: one per (resolved backend, HTTP version) a Gateway's routes use, fed by EDS; ExternalName
// Services resolve by DNS instead. HTTP/2 (h2c) for gRPC routes and for appProtocols that ask for it.

import type { BackendTLS } from '../../model/ir/backends.ts';
import type { ClusterTrafficIR } from '../../model/ir/traffic-policies.ts';
import { clusterTrafficSuffix } from './cluster-traffic.ts';
import type { ClusterUse, ResolvedBackendIR } from './cluster-use.ts';
import {
  type BackendClusterContext,
  backendClusterFields,
  backendUsesEds,
} from './envoy-gateway-backends.ts';
import { ADS_SOURCE, BLACKHOLE_CLUSTER, FILTER, type Json, SYSTEM_CA_BUNDLE, TYPE } from './envoy-types.ts';
import { poolClusterFields } from './inference.ts';
import { clusterName } from './names.ts';

const HTTP2_APP_PROTOCOLS = new Set(['kubernetes.io/h2c', 'h2c', 'grpc', 'http2', 'h2']);
const CONNECT_TIMEOUT = '5s';

/** A cluster built whole, and its ClusterLoadAssignment when it takes its endpoints from EDS. */
export interface BuiltCluster {
  readonly cluster: Json;
  readonly loadAssignment?: Json;
}

/** Per-endpoint weights are scaled so a backend's share survives integer rounding to within 0.1 %. */
const BLEND_SCALE = 1000;

/** Collects the clusters translation refers to, so each is generated once. */
export class ClusterSet {
  readonly #uses = new Map<string, ClusterUse>();
  readonly #built = new Map<string, BuiltCluster>();
  #blackhole = false;

  /** A cluster a feature builds whole (an AI Gateway fallback rule's), with its endpoints when fed by EDS. */
  built(name: string, cluster: BuiltCluster): string {
    if (!this.#built.has(name)) this.#built.set(name, cluster);
    return name;
  }

  get builtClusters(): ReadonlyMap<string, BuiltCluster> {
    return this.#built;
  }

  /**
   * The cluster for a backend; `speaksGrpc` when a GRPCRoute sends to it; `traffic`: the cluster settings of the
   * rule's BackendTrafficPolicy (rules with other settings get another cluster for the same backend).
   */
  use(backend: ResolvedBackendIR, speaksGrpc: boolean, traffic?: ClusterTrafficIR): string {
    const http2 = speaksGrpc || HTTP2_APP_PROTOCOLS.has(backend.appProtocol ?? '');
    const name = `${clusterName(backend, http2)}${clusterTrafficSuffix(traffic)}`;
    if (!this.#uses.has(name))
      this.#uses.set(name, { name, backend, http2, ...(traffic === undefined ? {} : { traffic }) });
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
    if (!this.#uses.has(name)) {
      this.#uses.set(name, {
        name,
        backend: { ...base, endpoints } as ResolvedBackendIR,
        http2: false,
        endpointWeights: weights,
      });
    }
    return name;
  }

  blackhole(): string {
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
 * What a cluster reached over TLS presents as its client certificate (the Gateway's
 * `spec.tls.backend.clientCertificateRef`): the SDS secret's name, or `refuse` when the Gateway names one that
 * cannot be used — then such a cluster has no endpoints, so no request reaches the backend without it.
 */
export type UpstreamClientCertificate = { readonly sdsSecret: string } | 'refuse' | undefined;

export function translateCluster(
  use: ClusterUse,
  context: BackendClusterContext,
  clientCertificate?: UpstreamClientCertificate,
): Json {
  if (clientCertificate === 'refuse' && usesTls(use)) {
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
      ...backendClusterFields(use.name, use.backend, use.http2, context),
    };
  }
  const base: Json = {
    name: use.name,
    connectTimeout: CONNECT_TIMEOUT,
    ...(use.http2 ? http2Options() : {}),
    ...(use.backend.kind === 'Service' && use.backend.tls !== undefined
      ? {
          transportSocket: upstreamTls(
            use.backend.tls,
            use.http2,
            typeof clientCertificate === 'object' ? clientCertificate.sdsSecret : undefined,
          ),
        }
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
        explicitHttpConfig: { http2ProtocolOptions: {} },
      },
    },
  };
}

/**
 * TLS to the backend as its BackendTLSPolicy says: SNI = `hostname`; the certificate must chain to the policy's
 * CA bundle (or the system store) and carry one of `subjectAltNames`, or `hostname` when none are given.
 */
export function upstreamTls(tls: BackendTLS, http2: boolean, clientCertificate?: string): Json {
  const names =
    tls.subjectAltNames.length > 0
      ? tls.subjectAltNames.map((san) => ({
          sanType: san.type === 'URI' ? 'URI' : 'DNS',
          matcher: { exact: san.value },
        }))
      : [{ sanType: 'DNS', matcher: { exact: tls.hostname } }];
  return {
    name: FILTER.tlsTransportSocket,
    typedConfig: {
      '@type': TYPE.upstreamTlsContext,
      sni: tls.hostname,
      commonTlsContext: {
        alpnProtocols: [http2 ? 'h2' : 'http/1.1'],
        ...(clientCertificate === undefined
          ? {}
          : { tlsCertificateSdsSecretConfigs: [{ name: clientCertificate, sdsConfig: ADS_SOURCE }] }),
        validationContext: {
          trustedCa:
            tls.caCertificates === 'System' || tls.caBundle === undefined
              ? { filename: SYSTEM_CA_BUNDLE }
              : { inlineString: tls.caBundle },
          matchTypedSubjectAltNames: names,
        },
      },
    },
  };
}

/** True when the cluster takes its endpoints from EDS (and so needs a ClusterLoadAssignment). */
export function usesEds(use: ClusterUse, clientCertificate?: UpstreamClientCertificate): boolean {
  if (clientCertificate === 'refuse' && usesTls(use)) return false;
  if (use.backend.kind === 'Backend') return backendUsesEds(use.backend);
  return !(use.backend.kind === 'Service' && use.backend.externalName !== undefined);
}

function usesTls(use: ClusterUse): boolean {
  return use.backend.kind === 'Service' && use.backend.tls !== undefined;
}

export function blackholeCluster(): Json {
  return {
    name: BLACKHOLE_CLUSTER,
    type: 'STATIC',
    connectTimeout: CONNECT_TIMEOUT,
    loadAssignment: { clusterName: BLACKHOLE_CLUSTER, endpoints: [] },
  };
}
