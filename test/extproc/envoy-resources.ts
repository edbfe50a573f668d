// The Envoy configuration these tests push over ADS: one listener whose HTTP filters are the ext_proc
// filter (pointing at our service) and the router; routes match the x-ai-eg-model header the ext_proc
// service sets, one static cluster per fake provider. Its building blocks serve tests that configure Envoy
// otherwise (fallback-envoy.test.ts).
import { bodyLimitListenerFields, extProcHttpFilter } from '../../backends/envoy/ai-gateway.ts';
import { DEFAULT_MAX_REQUEST_BODY_BYTES } from '../../model/ai-gateway/extproc-config.ts';
import { TYPE_URL } from '../../protos/index.ts';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export interface AiRoute {
  readonly model: string;
  readonly cluster: string;
}

export interface EnvoyAiConfig {
  /** Names the listener, its routes and its ext_proc cluster, so several can share one Envoy. */
  readonly name: string;
  readonly listenerPort: number;
  readonly extProcPort: number;
  readonly upstreams: Readonly<Record<string, number>>;
  readonly routes: readonly AiRoute[];
  readonly accessLogPath: string;
  /** The listener's request body limit (the service's `maxRequestBodyBytes` when it sets one). */
  readonly bodyLimitBytes?: number;
}

/** A cluster of one endpoint on this machine; `http2` for gRPC (the ext_proc service). */
export function staticCluster(name: string, port: number, http2 = false) {
  return {
    name,
    type: 'STATIC',
    connectTimeout: '2s',
    loadAssignment: {
      clusterName: name,
      endpoints: [
        {
          lbEndpoints: [
            { endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: port } } } },
          ],
        },
      ],
    },
    ...(http2 ? httpProtocolOptions({ explicitHttpConfig: { http2ProtocolOptions: {} } }) : {}),
  };
}

/** A cluster's `typedExtensionProtocolOptions` holding these HttpProtocolOptions. */
export function httpProtocolOptions(options: Record<string, unknown>) {
  return {
    typedExtensionProtocolOptions: {
      [HTTP_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_OPTIONS}`, ...options },
    },
  };
}

/**
 * The router-level ext_proc filter exactly as the Envoy backend configures it (processing modes, mutation rules,
 * attributes), on the service behind `cluster`; enabled on every route here, where the backend enables it per AI
 * route.
 */
export function routerExtProcFilter(cluster: string) {
  return { ...extProcHttpFilter(cluster), disabled: false };
}

/** A file access log (or upstream log) of one JSON line per entry. */
export function jsonFileLog(path: string, format: Record<string, string>) {
  return {
    name: 'envoy.access_loggers.file',
    typedConfig: { '@type': FILE_LOG, path, logFormat: { jsonFormat: format } },
  };
}

/** A listener on 127.0.0.1:`port` whose connection manager takes its routes `routeConfigName` over ADS. */
export function httpListener(listener: {
  readonly name: string;
  readonly port: number;
  readonly routeConfigName: string;
  readonly accessLog: readonly unknown[];
  readonly httpFilters: readonly unknown[];
  /** The request body limit: Envoy's buffer and the service's limit, as the Envoy backend sets them (4 MiB). */
  readonly bodyLimitBytes?: number;
}) {
  return {
    name: listener.name,
    address: { socketAddress: { address: '127.0.0.1', portValue: listener.port } },
    ...bodyLimitListenerFields(listener.bodyLimitBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES),
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: {
              '@type': HCM,
              statPrefix: listener.name,
              rds: {
                routeConfigName: listener.routeConfigName,
                configSource: { ads: {}, resourceApiVersion: 'V3' },
              },
              accessLog: listener.accessLog,
              httpFilters: listener.httpFilters,
            },
          },
        ],
      },
    ],
  };
}

/** Before the body is read no model header exists yet; the ext_proc service answers or re-routes. */
export const NO_AI_ROUTE = {
  match: { prefix: '/' },
  directResponse: { status: 404, body: { inlineString: 'no AI route' } },
};

export const ROUTER_FILTER = { name: 'envoy.filters.http.router', typedConfig: { '@type': ROUTER } };

/** Resources of several listeners merged per type (shared upstream clusters are identical). */
export function mergeResources(
  ...parts: Record<string, Record<string, unknown>>[]
): Record<string, Record<string, unknown>> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const part of parts)
    for (const [typeUrl, byName] of Object.entries(part)) merged[typeUrl] = { ...merged[typeUrl], ...byName };
  return merged;
}

export function envoyAiResources(config: EnvoyAiConfig): Record<string, Record<string, unknown>> {
  const extProcCluster = `${config.name}-extproc`;
  const routeConfigName = `${config.name}-routes`;
  const clusters: Record<string, unknown> = {
    [extProcCluster]: staticCluster(extProcCluster, config.extProcPort, true),
  };
  for (const [name, port] of Object.entries(config.upstreams)) clusters[name] = staticCluster(name, port);
  return {
    [TYPE_URL.cluster]: clusters,
    [TYPE_URL.listener]: {
      [config.name]: httpListener({
        name: config.name,
        port: config.listenerPort,
        routeConfigName,
        ...(config.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: config.bodyLimitBytes }),
        accessLog: [
          jsonFileLog(config.accessLogPath, {
            path: '%REQ(:PATH)%',
            status: '%RESPONSE_CODE%',
            model: '%REQ(X-AI-EG-MODEL)%',
            input_tokens: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_input_token)%',
            output_tokens: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_output_token)%',
            total_tokens: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_total_token)%',
            cost: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_cost)%',
          }),
        ],
        httpFilters: [routerExtProcFilter(extProcCluster), ROUTER_FILTER],
      }),
    },
    [TYPE_URL.routeConfiguration]: {
      [routeConfigName]: {
        name: routeConfigName,
        virtualHosts: [
          {
            name: 'ai',
            domains: ['*'],
            routes: [
              ...config.routes.map((route) => ({
                match: {
                  prefix: '/',
                  headers: [{ name: 'x-ai-eg-model', stringMatch: { exact: route.model } }],
                },
                route: { cluster: route.cluster, timeout: '30s' },
              })),
              NO_AI_ROUTE,
            ],
          },
        ],
      },
    },
  };
}
