// Envoy AI Gateway routes (AIGatewayRoute → RouteIR with `extProc`): the ext_proc HTTP filter on the Gateway's
// HTTP connection managers, disabled by default and enabled on the AI routes only (other routes of the same
// listener never reach the service); the cluster (HTTP/2) to the `switchyard extproc` service; and the routes'
// per-filter config. The service reads the body, sets x-ai-eg-model / x-ai-eg-backend and clears the route
// cache, so the second route match picks the backend's rule. See docs/extproc.md.
import { BACKEND_HEADER, MODEL_HEADER } from '../../model/ai-gateway/extproc-config.ts';
import type { RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type { Json } from './envoy-types.ts';
import { serviceCluster } from './service-cluster.ts';

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

export function hasAIRoutes(routes: readonly RouteIR[]): boolean {
  return routes.some((route) => route.extProc === true);
}

/** The ext_proc filter, placed before the router; off unless a route enables it. */
export function extProcHttpFilter(): Json {
  return {
    name: EXT_PROC_FILTER,
    disabled: true,
    typedConfig: {
      '@type': EXT_PROC_TYPE,
      grpcService: { envoyGrpc: { clusterName: EXT_PROC_CLUSTER }, timeout: '30s' },
      processingMode: {
        requestHeaderMode: 'SEND',
        responseHeaderMode: 'SEND',
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
    },
  };
}

/**
 * The access log of a connection manager carrying AI routes: one JSON line per request on Envoy's stdout, with
 * the token usage and costs the service reported (the whole `io.envoy.ai_gateway` dynamic metadata namespace as
 * an object: one field per `llmRequestCosts` metadataKey, CEL costs included). Requests of other routes of the
 * listener are logged too, with `ai_gateway` null.
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
          ai_gateway: `%DYNAMIC_METADATA(${METADATA_NAMESPACE})%`,
        },
      },
    },
  };
}

/** The connection manager `hcm` with the AI access log added (see aiGatewayAccessLog). */
export function withAIGatewayAccessLog(hcm: Json): Json {
  const typedConfig = hcm.typedConfig as Json;
  const accessLog = (typedConfig.accessLog as Json[] | undefined) ?? [];
  return { ...hcm, typedConfig: { ...typedConfig, accessLog: [...accessLog, aiGatewayAccessLog()] } };
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
