// One Gateway's IR → its Envoy resources (proto3 JSON by resource name, per type). Pure and deterministic:
// the same IR and TLS material give the same resources, so unchanged resources keep their versions.
import type { TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import { withAccessLogs } from './access-logs.ts';
import { DEFAULT_EXT_PROC_ADDRESS, EXT_PROC_CLUSTER, extProcCluster, hasAIRoutes } from './ai-gateway.ts';
import { withUpstreamHttp1 } from './client-traffic.ts';
import { withClusterTraffic } from './cluster-traffic.ts';
import { blackholeCluster, ClusterSet, clusterCertificate, translateCluster, usesEds } from './clusters.ts';
import { translateEndpoints } from './endpoints.ts';
import type { Json } from './envoy-types.ts';
import type { RateLimitServiceOptions } from './filters/index.ts';
import { translateGrpcListeners } from './grpc-listeners.ts';
import { pickerClusters } from './inference.ts';
import { translatePort } from './listeners.ts';
import { DEFAULT_MCP_PROXY_ADDRESS, hasMcpRoutes, MCP_PROXY_CLUSTER, mcpProxyCluster } from './mcp.ts';
import { gatewayClientCertificate } from './upstream-tls.ts';

export interface EnvoyResources {
  readonly listeners: Readonly<Record<string, Json>>;
  readonly routeConfigurations: Readonly<Record<string, Json>>;
  readonly clusters: Readonly<Record<string, Json>>;
  readonly clusterLoadAssignments: Readonly<Record<string, Json>>;
  readonly secrets: Readonly<Record<string, Json>>;
  /** Listeners for proxyless gRPC clients, served by name only (see grpc-listeners.ts). */
  readonly grpcListeners: Readonly<Record<string, Json>>;
  /**
   * The rate limit service's descriptors of the Gateway's global rate limits, by bucket: not served to the
   * Gateway's proxies but to the rate limit service (ratelimit-service.ts merges every Gateway's).
   */
  readonly rateLimitDescriptors?: Readonly<Record<string, Json>>;
  /** The rate limit service's own resources (RateLimitConfig by name): only in what it is served. */
  readonly rateLimitConfigs?: Readonly<Record<string, Json>>;
  /** Parts of the IR that could not be programmed, each naming what and why. */
  readonly problems: readonly string[];
}

export interface TranslateOptions {
  /** Address the Gateway's listeners bind; default all IPv4 interfaces. */
  readonly bindAddress?: string;
  /** Where Envoy reaches `switchyard extproc` for AIGatewayRoutes (host:port or unix:/path); see ai-gateway.ts. */
  readonly extProcAddress?: string;
  /** Where Envoy reaches `switchyard mcp` for MCPRoutes (host:port or unix:/path); see mcp.ts. */
  readonly mcpProxyAddress?: string;
  /** The rate limit service for global rate limits (controller --ratelimit-address). */
  readonly rateLimitService?: RateLimitServiceOptions;
}

export function translateGateway(
  ir: GatewayIR,
  tls: Readonly<Record<string, TlsMaterial>>,
  options: TranslateOptions = {},
): EnvoyResources {
  const secrets = new Map<string, Json>();
  const problems: string[] = [];
  const clientCertificate = gatewayClientCertificate(ir, tls, secrets, problems);
  const clusters = new ClusterSet(clientCertificate);
  const extraClusters = new Map<string, Json>();
  const rateLimitDescriptors = new Map<string, Json>();
  const context = {
    rateLimitDescriptors,
    ...(options.rateLimitService === undefined ? {} : { rateLimitService: options.rateLimitService }),
    bindAddress: options.bindAddress ?? '0.0.0.0',
    clusters,
    tls,
    secrets,
    problems,
    extraClusters,
    clientCertificate,
  };
  const listeners: Record<string, Json> = {};
  const routeConfigurations: Record<string, Json> = {};
  const grpcListeners: Record<string, Json> = {};
  for (const port of ir.ports) {
    const translated = translatePort(port, context);
    if (translated.listener !== undefined) {
      listeners[String(translated.listener.name)] = withAccessLogs(
        translated.listener,
        ir.envoyProxy?.accessLogs ?? [],
      );
    }
    for (const config of translated.routeConfigurations) routeConfigurations[String(config.name)] = config;
    if (port.transport === 'TCP') {
      for (const listener of translateGrpcListeners(port, clusters))
        grpcListeners[String(listener.name)] = listener;
    }
  }
  const clusterResources: Record<string, Json> = {};
  const clusterLoadAssignments: Record<string, Json> = {};
  for (const use of [...clusters.uses].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const presented = clusterCertificate(use, context);
    clusterResources[use.name] = withUpstreamHttp1(
      withClusterTraffic(translateCluster(use, context, presented), use, problems),
      use.http1,
    );
    if (usesEds(use, presented)) clusterLoadAssignments[use.name] = translateEndpoints(use);
  }
  for (const [name, built] of [...clusters.builtClusters].sort(([a], [b]) => (a < b ? -1 : 1))) {
    clusterResources[name] = built.cluster;
    if (built.loadAssignment !== undefined) clusterLoadAssignments[name] = built.loadAssignment;
  }
  if (ir.ports.some((port) => port.listeners.some((listener) => hasAIRoutes(listener.routes)))) {
    clusterResources[EXT_PROC_CLUSTER] = extProcCluster(options.extProcAddress ?? DEFAULT_EXT_PROC_ADDRESS);
  }
  if (ir.ports.some((port) => port.listeners.some((listener) => hasMcpRoutes(listener.routes)))) {
    clusterResources[MCP_PROXY_CLUSTER] = mcpProxyCluster(
      options.mcpProxyAddress ?? DEFAULT_MCP_PROXY_ADDRESS,
    );
  }
  Object.assign(clusterResources, pickerClusters(clusters.uses));
  for (const [name, cluster] of [...extraClusters.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
    clusterResources[name] = cluster;
  if (clusters.usesBlackhole) {
    const blackhole = blackholeCluster();
    clusterResources[String(blackhole.name)] = blackhole;
  }
  return {
    listeners,
    routeConfigurations,
    clusters: clusterResources,
    clusterLoadAssignments,
    secrets: Object.fromEntries([...secrets.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
    grpcListeners,
    ...(rateLimitDescriptors.size === 0
      ? {}
      : {
          rateLimitDescriptors: Object.fromEntries(
            [...rateLimitDescriptors.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
          ),
        }),
    problems,
  };
}
