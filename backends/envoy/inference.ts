// InferencePool backends (Gateway API Inference Extension) on Envoy, by the endpoint picker protocol (EPP):
// - The pool's cluster takes its ready Pods × targetPorts from EDS; each endpoint carries its own `ip:port` in
//   metadata `envoy.lb` / `x-gateway-destination-endpoint`.
// - A pool with an endpoint picker: the backend's entry in the route enables an ext_proc filter (disabled in
//   the filter chain) that streams the request to the picker (headers SEND, body FULL_DUPLEX_STREAMED). The
//   picker answers with the header and the dynamic metadata `envoy.lb` / `x-gateway-destination-endpoint`,
//   which Envoy's subset load balancer matches against the endpoints' metadata. A failed picker lets the
//   request on without a pick: FailOpen falls back to any endpoint of the pool, FailClose finds no host (503).
// - The client's `x-gateway-destination-endpoint-subset` header becomes the metadata
//   `envoy.lb.subset_hint` / `x-gateway-destination-endpoint-subset` forwarded to the picker.
// ORIGINAL_DST with use_http_header would route by the header too, but has no pool to fall back on (FailOpen),
// and the override-host load-balancing policy is not in the Envoy API protos we ship.

import {
  DESTINATION_ENDPOINT_HEADER,
  DESTINATION_ENDPOINT_SUBSET,
  DESTINATION_METADATA_NAMESPACE,
  SUBSET_HINT_METADATA_NAMESPACE,
} from '../../model/inference/pool-members.ts';
import type { Endpoint } from '../../model/ir/backends.ts';
import type { ListenerIR } from '../../model/ir/gateway-ir.ts';
import type { ClusterUse, ResolvedBackendIR } from './cluster-use.ts';
import type { Json } from './envoy-types.ts';

type PoolBackend = Extract<ResolvedBackendIR, { kind: 'InferencePool' }>;

const EXT_PROC = 'envoy.filters.http.ext_proc';
const TYPE_EXT_PROC = 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';
const TYPE_EXT_PROC_PER_ROUTE =
  'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute';
const TYPE_FILTER_CONFIG = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
const HEADER_TO_METADATA = 'envoy.filters.http.header_to_metadata';
const TYPE_HEADER_TO_METADATA =
  'type.googleapis.com/envoy.extensions.filters.http.header_to_metadata.v3.Config';
const TYPE_HTTP_PROTOCOL_OPTIONS =
  'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
/** ProcessingMode.BodySendMode FULL_DUPLEX_STREAMED: newer than the shipped protos, so by number. */
const FULL_DUPLEX_STREAMED = 4;
const PICKER_CONNECT_TIMEOUT = '5s';

/** The ext_proc filter instance that talks to endpoint pickers. */
export const PICKER_FILTER = `${EXT_PROC}/inference`;

/** The cluster of a pool's endpoint picker. */
export function pickerClusterName(picker: NonNullable<PoolBackend['endpointPicker']>): string {
  return `epp/${picker.service.namespace ?? ''}/${picker.service.name}/${picker.port ?? 0}`;
}

/** The gRPC service of a picker; :authority is its Service's DNS name (the cluster name is no valid one). */
function pickerGrpcService(picker: NonNullable<PoolBackend['endpointPicker']>): Json {
  const service = picker.service;
  return {
    envoyGrpc: {
      clusterName: pickerClusterName(picker),
      authority: `${service.name}.${service.namespace ?? ''}.svc:${picker.port ?? 0}`,
    },
  };
}

/** A usable picker: named, resolved, and with a port. */
function usablePicker(backend: ResolvedBackendIR): NonNullable<PoolBackend['endpointPicker']> | undefined {
  if (backend.kind !== 'InferencePool') return undefined;
  const picker = backend.endpointPicker;
  return picker !== undefined && picker.problem === undefined ? picker : undefined;
}

/** Why a pool backend cannot be served (its endpoint picker reference is invalid); its share answers 500. */
export function pickerProblem(backend: ResolvedBackendIR): string | undefined {
  return backend.kind === 'InferencePool' ? backend.endpointPicker?.problem : undefined;
}

/** Fields of a backend's (weighted-cluster) entry: a pool with a picker enables its ext_proc filter there. */
export function inferenceBackendFields(backend: ResolvedBackendIR): Json {
  const picker = usablePicker(backend);
  if (picker === undefined) return {};
  return {
    typedPerFilterConfig: {
      [PICKER_FILTER]: {
        '@type': TYPE_FILTER_CONFIG,
        config: {
          '@type': TYPE_EXT_PROC_PER_ROUTE,
          overrides: { grpcService: pickerGrpcService(picker) },
        },
      },
    },
  };
}

/** The pickers of the pools these listeners' routes send to, by cluster name. */
function pickersOf(
  listeners: readonly ListenerIR[],
): Map<string, NonNullable<PoolBackend['endpointPicker']>> {
  const found = new Map<string, NonNullable<PoolBackend['endpointPicker']>>();
  for (const listener of listeners)
    for (const route of listener.routes)
      for (const rule of route.rules)
        for (const backend of rule.backends) {
          if (backend.kind === 'Invalid') continue;
          const picker = usablePicker(backend);
          if (picker !== undefined) found.set(pickerClusterName(picker), picker);
        }
  return found;
}

/**
 * HTTP filters for listeners whose routes send to pools with a picker (none otherwise): the subset hint header
 * to metadata, and the ext_proc filter, disabled here and enabled per backend.
 */
export function inferenceHttpFilters(listeners: readonly ListenerIR[]): Json[] {
  const pickers = [...pickersOf(listeners).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  if (pickers.length === 0) return [];
  // The filter needs a service of its own; every route that enables it names its pool's picker instead.
  const defaultService = pickerGrpcService(pickers[0]![1]);
  return [
    {
      name: HEADER_TO_METADATA,
      typedConfig: {
        '@type': TYPE_HEADER_TO_METADATA,
        requestRules: [
          {
            header: DESTINATION_ENDPOINT_SUBSET,
            onHeaderPresent: {
              metadataNamespace: SUBSET_HINT_METADATA_NAMESPACE,
              key: DESTINATION_ENDPOINT_SUBSET,
              type: 'STRING',
            },
          },
        ],
      },
    },
    {
      name: PICKER_FILTER,
      disabled: true,
      typedConfig: {
        '@type': TYPE_EXT_PROC,
        grpcService: defaultService,
        // A failed picker lets the request on without a pick: the pool's cluster decides (see poolClusterFields).
        failureModeAllow: true,
        processingMode: {
          requestHeaderMode: 'SEND',
          requestBodyMode: FULL_DUPLEX_STREAMED,
          // Envoy requires trailers to be sent in full-duplex mode.
          requestTrailerMode: 'SEND',
          responseHeaderMode: 'SKIP',
          responseBodyMode: 'NONE',
          responseTrailerMode: 'SKIP',
        },
        // The picker must not re-route the request to another backend of a weighted rule.
        routeCacheAction: 'RETAIN',
        metadataOptions: {
          forwardingNamespaces: { untyped: [SUBSET_HINT_METADATA_NAMESPACE] },
          receivingNamespaces: { untyped: [DESTINATION_METADATA_NAMESPACE] },
        },
      },
    },
  ];
}

/**
 * Extra fields of a pool's cluster: with a picker, subsets by endpoint. Without a pick (picker failed) FailOpen
 * falls back to any endpoint of the pool; FailClose finds no host, and Envoy answers 503.
 */
export function poolClusterFields(use: ClusterUse): Json {
  const picker = usablePicker(use.backend);
  if (picker === undefined) return {};
  return {
    lbSubsetConfig: {
      fallbackPolicy: picker.failureMode === 'FailOpen' ? 'ANY_ENDPOINT' : 'NO_FALLBACK',
      subsetSelectors: [{ keys: [DESTINATION_ENDPOINT_HEADER] }],
    },
  };
}

/** A pool endpoint as EDS carries it: its `ip:port` in `envoy.lb` metadata, for the subset load balancer. */
export function poolLbEndpoint(endpoint: Endpoint): Json {
  return {
    endpoint: { address: { socketAddress: { address: endpoint.address, portValue: endpoint.port } } },
    metadata: {
      filterMetadata: {
        [DESTINATION_METADATA_NAMESPACE]: {
          [DESTINATION_ENDPOINT_HEADER]: `${endpoint.address}:${endpoint.port}`,
        },
      },
    },
  };
}

/** The clusters of the pickers the translated pools use (gRPC over HTTP/2, static endpoints), by name. */
export function pickerClusters(uses: readonly ClusterUse[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const use of uses) {
    const picker = usablePicker(use.backend);
    if (picker === undefined) continue;
    const name = pickerClusterName(picker);
    out[name] = {
      name,
      type: 'STATIC',
      connectTimeout: PICKER_CONNECT_TIMEOUT,
      typedExtensionProtocolOptions: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': TYPE_HTTP_PROTOCOL_OPTIONS,
          explicitHttpConfig: { http2ProtocolOptions: {} },
        },
      },
      loadAssignment: {
        clusterName: name,
        endpoints:
          picker.endpoints.length === 0
            ? []
            : [
                {
                  lbEndpoints: picker.endpoints.map((e) => ({
                    endpoint: { address: { socketAddress: { address: e.address, portValue: e.port } } },
                  })),
                },
              ],
      },
    };
  }
  return out;
}
