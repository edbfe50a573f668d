// Envoy AI Gateway routes (AIGatewayRoute → RouteIR with `extProc`): the ext_proc HTTP filter on the Gateway's
// HTTP connection managers, disabled by default and enabled on the AI routes only (other routes of the same
// listener never reach the service); the cluster (HTTP/2) to the `switchyard extproc` service; and the routes'
// per-filter config. The service reads the body, sets x-ai-eg-model / x-ai-eg-backend and clears the route
// cache, so the second route match picks the backend's rule. A fallback rule (backends at several priorities)
// goes to one cluster with a locality per backend at its priority, the backend named in each endpoint's
// metadata, the service as an upstream filter translating each attempt, and a retry policy moving to the next
// priority. See docs/extproc.md.
import {
  BACKEND_ATTRIBUTE,
  BACKEND_HEADER,
  BACKEND_METADATA_KEY,
  BACKEND_METADATA_NAMESPACE,
  BODY_LIMIT_ATTRIBUTE,
  BODY_LIMIT_METADATA_KEY,
  BODY_LIMIT_METADATA_NAMESPACE,
  DEFAULT_MAX_REQUEST_BODY_BYTES,
  MODEL_HEADER,
} from '../../model/ai-gateway/extproc-config.ts';
import type { BackendIR, RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type { ClientTrafficIR } from '../../model/ir/policies.ts';
import type { ResolvedBackendIR } from './cluster-use.ts';
import type { BuiltCluster, ClusterSet } from './clusters.ts';
import { protoDuration } from './duration.ts';
import { ADS_SOURCE, type Json, TYPE } from './envoy-types.ts';
import { serviceCluster } from './service-cluster.ts';
import { type UpstreamClientCertificate, upstreamTls } from './upstream-tls.ts';

export const EXT_PROC_FILTER = 'envoy.filters.http.ext_proc';
/** Also the gRPC :authority, so no '/' (HTTP/2 servers refuse such an authority with PROTOCOL_ERROR). */
export const EXT_PROC_CLUSTER = 'switchyard-ai-gateway-extproc';
/** Where Envoy reaches `switchyard extproc` unless the controller says otherwise (`--extproc-address`). */
export const DEFAULT_EXT_PROC_ADDRESS = '127.0.0.1:1063';
const METADATA_NAMESPACE = 'io.envoy.ai_gateway';
const EXT_PROC_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';
const EXT_PROC_PER_ROUTE_TYPE =
  'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute';
const FILTER_CONFIG_TYPE = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
const STDOUT_LOG_TYPE = 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
const UPSTREAM_CODEC_TYPE =
  'type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec';
const PREVIOUS_PRIORITIES_TYPE =
  'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig';
/** The answering backend of a fallback rule, as a header formatter and as an access-log command. */
const ANSWERING_BACKEND_HEADER = `%UPSTREAM_METADATA(["${BACKEND_METADATA_NAMESPACE}","${BACKEND_METADATA_KEY}"])%`;
const ANSWERING_BACKEND_LOG = `%UPSTREAM_METADATA(${BACKEND_METADATA_NAMESPACE}:${BACKEND_METADATA_KEY})%`;
/** Endpoint metadata picking a backend's transport socket (its TLS) in a fallback cluster. */
const TRANSPORT_MATCH_KEY = 'ai-backend';

export function hasAIRoutes(routes: readonly RouteIR[]): boolean {
  return routes.some((route) => route.extProc === true);
}

/** The ext_proc filter, placed before the router; off unless a route enables it. `cluster`: the service's. */
export function extProcHttpFilter(cluster = EXT_PROC_CLUSTER): Json {
  return {
    name: EXT_PROC_FILTER,
    disabled: true,
    typedConfig: {
      '@type': EXT_PROC_TYPE,
      grpcService: { envoyGrpc: { clusterName: cluster }, timeout: '30s' },
      processingMode: {
        requestHeaderMode: 'SEND',
        responseHeaderMode: 'SEND',
        // The whole body: the service sets the translated body's content-length (Envoy drops it in any other
        // mode, and in BUFFERED_PARTIAL loses the routing headers of a body that arrives after the headers). A body
        // without a declared length over the listener's limit is Envoy's 413, which the service puts in the client's
        // shape; one with a declared length over it the service refuses at the headers.
        requestBodyMode: 'BUFFERED',
        // Successful streams are switched to STREAMED by the service (mode_override).
        responseBodyMode: 'BUFFERED',
        requestTrailerMode: 'SKIP',
        responseTrailerMode: 'SKIP',
      },
      allowModeOverride: true,
      messageTimeout: '30s',
      // The service sets :authority (and signs it) for backends with a host.
      mutationRules: { allowAllRouting: true },
      metadataOptions: { receivingNamespaces: { untyped: [METADATA_NAMESPACE] } },
      // The listener's request body limit (aiListenerFields), so the service's 413 names the limit Envoy applies.
      requestAttributes: [BODY_LIMIT_ATTRIBUTE],
    },
  };
}

/**
 * Listener fields of a port with AI routes: one request body limit for Envoy and the service — the port's
 * ClientTrafficPolicy `connection.bufferLimit` when it sets one, else DEFAULT_MAX_REQUEST_BODY_BYTES — as the
 * listener's per-connection buffer limit (what the ext_proc filter buffers up to) and in the listener's metadata
 * (what the service reads, BODY_LIMIT_ATTRIBUTE).
 */
export function aiListenerFields(clientTraffic: ClientTrafficIR | undefined): Json {
  return bodyLimitListenerFields(aiBodyLimit(clientTraffic));
}

/** The listener fields of aiListenerFields for a request body limit of `limit` bytes. */
export function bodyLimitListenerFields(limit: number): Json {
  return {
    perConnectionBufferLimitBytes: limit,
    // A string: Envoy hands a number attribute to the service in six significant digits.
    metadata: {
      filterMetadata: { [BODY_LIMIT_METADATA_NAMESPACE]: { [BODY_LIMIT_METADATA_KEY]: String(limit) } },
    },
  };
}

export function aiBodyLimit(clientTraffic: ClientTrafficIR | undefined): number {
  return clientTraffic?.connection?.bufferLimitBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
}

/**
 * The access log of a connection manager carrying AI routes: one JSON line per request on Envoy's stdout, with
 * the token usage and costs the service reported (the whole `io.envoy.ai_gateway` dynamic metadata namespace as
 * an object: one field per `llmRequestCosts` metadataKey, CEL costs included), the backend that answered and the
 * number of attempts. Requests of other routes of the listener are logged too, with `ai_gateway` null.
 */
export function aiGatewayAccessLog(): Json {
  return {
    name: 'envoy.access_loggers.stdout',
    typedConfig: {
      '@type': STDOUT_LOG_TYPE,
      logFormat: {
        jsonFormat: {
          start_time: '%START_TIME%',
          method: '%REQ(:METHOD)%',
          path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
          status: '%RESPONSE_CODE%',
          response_flags: '%RESPONSE_FLAGS%',
          duration_ms: '%DURATION%',
          route: '%ROUTE_NAME%',
          upstream_host: '%UPSTREAM_HOST%',
          model: `%REQ(${MODEL_HEADER})%`,
          backend: `%REQ(${BACKEND_HEADER})%`,
          answered_by: ANSWERING_BACKEND_LOG,
          attempts: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%',
          ai_gateway: `%DYNAMIC_METADATA(${METADATA_NAMESPACE})%`,
        },
      },
    },
  };
}

/** One JSON line per attempt at an upstream (the router's upstream log): a fallback shows each backend tried. */
function aiGatewayUpstreamLog(): Json {
  return {
    name: 'envoy.access_loggers.stdout',
    typedConfig: {
      '@type': STDOUT_LOG_TYPE,
      logFormat: {
        jsonFormat: {
          upstream_attempt: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%',
          start_time: '%START_TIME%',
          path: '%REQ(:PATH)%',
          model: `%REQ(${MODEL_HEADER})%`,
          upstream_host: '%UPSTREAM_HOST%',
          answered_by: ANSWERING_BACKEND_LOG,
          status: '%RESPONSE_CODE%',
          response_flags: '%RESPONSE_FLAGS%',
        },
      },
    },
  };
}

/** The connection manager `hcm` with the AI access log added, and the router's upstream log (see above). */
export function withAIGatewayAccessLog(hcm: Json): Json {
  const typedConfig = hcm.typedConfig as Json;
  const accessLog = (typedConfig.accessLog as Json[] | undefined) ?? [];
  const httpFilters = ((typedConfig.httpFilters as Json[] | undefined) ?? []).map((filter) =>
    filter.name === 'envoy.filters.http.router'
      ? { ...filter, typedConfig: { ...(filter.typedConfig as Json), upstreamLog: [aiGatewayUpstreamLog()] } }
      : filter,
  );
  return {
    ...hcm,
    typedConfig: { ...typedConfig, accessLog: [...accessLog, aiGatewayAccessLog()], httpFilters },
  };
}

/** Enables the filter on one route. */
function enableExtProc(): Json {
  return {
    [EXT_PROC_FILTER]: {
      '@type': FILTER_CONFIG_TYPE,
      config: { '@type': EXT_PROC_PER_ROUTE_TYPE, overrides: {} },
    },
  };
}

/**
 * The Envoy routes of one rule of an AI route: the filter is enabled on each; the catch-all rule (no backends)
 * answers 404 when a request comes back from the service without a model this Gateway routes.
 */
export function aiGatewayRoutes(route: RouteIR, rule: RuleIR, routes: readonly Json[]): Json[] {
  if (route.extProc !== true) return [...routes];
  return routes.map((envoyRoute) => {
    const withFilter: Json = {
      ...envoyRoute,
      typedPerFilterConfig: {
        ...((envoyRoute.typedPerFilterConfig as Json | undefined) ?? {}),
        ...enableExtProc(),
      },
    };
    if (rule.backends.length > 0) return withFilter;
    const { route: _route, directResponse: _direct, ...rest } = withFilter;
    return {
      ...rest,
      directResponse: {
        status: 404,
        body: { inlineString: 'no AI route on this Gateway serves this model\n' },
      },
    };
  });
}

/** The cluster of the ext_proc service: gRPC over h2c, at host:port or unix:/path. */
export function extProcCluster(address: string): Json {
  return serviceCluster(EXT_PROC_CLUSTER, address, { explicitHttpConfig: { http2ProtocolOptions: {} } });
}

/** What the upstream filter of a fallback cluster sends the service: an attempt's request headers and body. */
const UPSTREAM_PROCESSING_MODE = {
  requestHeaderMode: 'SEND',
  requestBodyMode: 'BUFFERED',
  responseHeaderMode: 'SKIP',
  responseBodyMode: 'NONE',
  requestTrailerMode: 'SKIP',
  responseTrailerMode: 'SKIP',
} as const;

/** The ext_proc filter as an upstream filter of a fallback cluster: it translates each attempt, the request only. */
export function upstreamExtProcFilter(cluster = EXT_PROC_CLUSTER): Json {
  return {
    name: EXT_PROC_FILTER,
    typedConfig: {
      '@type': EXT_PROC_TYPE,
      grpcService: { envoyGrpc: { clusterName: cluster }, timeout: '30s' },
      processingMode: UPSTREAM_PROCESSING_MODE,
      messageTimeout: '30s',
      mutationRules: { allowAllRouting: true },
      // The backend Envoy picked for this attempt, from the endpoint's metadata.
      requestAttributes: [BACKEND_ATTRIBUTE],
    },
  };
}

/** The name of a fallback rule's cluster. */
export function fallbackClusterName(route: RouteIR, rule: RuleIR): string {
  return `ai-fallback/${route.route.namespace ?? ''}/${route.route.name}/rule/${rule.name ?? rule.index}`;
}

/**
 * The route action of a fallback rule: its cluster, retries through the priorities (a 5xx, a reset, a connect
 * failure, a 429), and the answering backend named in a response header for the router filter. Undefined when
 * no backend of the rule resolves (the rule answers 500).
 */
export function fallbackRouteAction(route: RouteIR, rule: RuleIR, clusters: ClusterSet): Json | undefined {
  const built = fallbackCluster(fallbackClusterName(route, rule), rule, clusters.clientCertificate);
  if (built === undefined) return undefined;
  const cluster = clusters.built(String(built.cluster.name), built);
  const levels = new Set((rule.priorityFallback ?? []).map((backend) => backend.priority)).size;
  const timeouts = rule.timeouts;
  return {
    route: {
      cluster,
      ...(timeouts?.requestMs === undefined ? {} : { timeout: protoDuration(timeouts.requestMs) }),
      retryPolicy: {
        retryOn: '5xx,reset,connect-failure,retriable-status-codes',
        retriableStatusCodes: [429],
        numRetries: Math.max(1, levels - 1),
        retryPriority: {
          name: 'envoy.retry_priorities.previous_priorities',
          typedConfig: { '@type': PREVIOUS_PRIORITIES_TYPE, updateFrequency: 1 },
        },
        retryHostPredicate: [
          {
            name: 'envoy.retry_host_predicates.previous_hosts',
            typedConfig: {
              '@type':
                'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
            },
          },
        ],
        hostSelectionRetryMaxAttempts: '3',
        ...(timeouts?.backendRequestMs === undefined || timeouts.backendRequestMs === 0
          ? {}
          : { perTryTimeout: protoDuration(timeouts.backendRequestMs) }),
      },
    },
    responseHeadersToAdd: [
      {
        header: { key: BACKEND_HEADER, value: ANSWERING_BACKEND_HEADER },
        appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD',
      },
    ],
  };
}

/**
 * One cluster for a fallback rule: each resolved backend a locality at its priority (ranked from 0 without gaps,
 * as Envoy wants) weighted by its weight, every endpoint naming its backend in metadata (the upstream filter
 * reads it; so does the response header) and choosing the backend's TLS. Endpoints come from EDS, or inline
 * (resolved by DNS) when a backend is an ExternalName Service. A backend reached over TLS presents the Gateway's
 * client certificate as every TLS cluster does (upstream-tls.ts); when that cannot be presented, the backend
 * gets no endpoints (the next priority answers).
 */
function fallbackCluster(
  name: string,
  rule: RuleIR,
  certificate: UpstreamClientCertificate,
): BuiltCluster | undefined {
  const targets = rule.priorityFallback ?? [];
  const members: { backend: ResolvedBackendIR; name: string; priority: number }[] = [];
  rule.backends.forEach((backend: BackendIR, i) => {
    const target = targets[i];
    if (target === undefined || backend.kind !== 'Service' || backend.weight <= 0) return;
    members.push({ backend, name: target.name, priority: target.priority });
  });
  if (members.length === 0) return undefined;
  const ranks = [...new Set(members.map((member) => member.priority))].sort((a, b) => a - b);
  const dns = members.some(
    (member) => member.backend.kind === 'Service' && member.backend.externalName !== undefined,
  );
  const localities = members.map((member) => {
    const backend = member.backend as Extract<ResolvedBackendIR, { kind: 'Service' }>;
    const addresses =
      backend.tls !== undefined && certificate === 'refuse'
        ? []
        : backend.externalName !== undefined
          ? [{ address: backend.externalName, port: backend.port }]
          : backend.endpoints;
    return {
      locality: { subZone: member.name },
      priority: ranks.indexOf(member.priority),
      loadBalancingWeight: Math.max(1, member.backend.weight),
      lbEndpoints: addresses.map((endpoint) => ({
        endpoint: { address: { socketAddress: { address: endpoint.address, portValue: endpoint.port } } },
        metadata: {
          filterMetadata: {
            [BACKEND_METADATA_NAMESPACE]: { [BACKEND_METADATA_KEY]: member.name },
            'envoy.transport_socket_match': { [TRANSPORT_MATCH_KEY]: member.name },
          },
        },
      })),
    };
  });
  const tlsMatches = members.flatMap((member) => {
    const backend = member.backend as Extract<ResolvedBackendIR, { kind: 'Service' }>;
    return backend.tls === undefined || certificate === 'refuse'
      ? []
      : [
          {
            name: member.name,
            match: { [TRANSPORT_MATCH_KEY]: member.name },
            transportSocket: upstreamTls(backend.tls, false, certificate),
          },
        ];
  });
  const loadAssignment = { clusterName: name, endpoints: localities };
  const cluster: Json = {
    name,
    connectTimeout: '5s',
    ...(dns
      ? { type: 'STRICT_DNS', dnsLookupFamily: 'V4_PREFERRED', loadAssignment }
      : { type: 'EDS', edsClusterConfig: { edsConfig: ADS_SOURCE } }),
    // Each backend's weight shares its priority level with the others there.
    commonLbConfig: { localityWeightedLbConfig: {} },
    ...(tlsMatches.length === 0 ? {} : { transportSocketMatches: tlsMatches }),
    typedExtensionProtocolOptions: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': TYPE.httpProtocolOptions,
        explicitHttpConfig: { httpProtocolOptions: {} },
        httpFilters: [
          upstreamExtProcFilter(),
          { name: 'envoy.filters.http.upstream_codec', typedConfig: { '@type': UPSTREAM_CODEC_TYPE } },
        ],
      },
    },
  };
  return dns ? { cluster } : { cluster, loadAssignment };
}
