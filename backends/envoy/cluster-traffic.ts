// A BackendTrafficPolicy's cluster settings (the IR's ClusterTrafficIR) on an Envoy cluster: load balancing
// policy (with slow start and the consistent hash ring), circuit breakers, active health checks, outlier
// detection, the panic threshold, PROXY protocol to the backend, TCP keepalive, connect and HTTP connection
// timeouts, buffer limits, preconnect, DNS settings of clusters resolved by name, HTTP/2 settings and speaking
// the client's protocol. Rules with different settings use different clusters for the same backend
// (ClusterSet names them apart), so the settings never leak from one rule to another.
import { createHash } from 'node:crypto';
import type { ActiveHealthCheckIR, ClusterTrafficIR } from '../../model/ir/traffic-policies.ts';
import type { ClusterUse } from './cluster-use.ts';
import { protoDuration } from './duration.ts';
import { type Json, TYPE } from './envoy-types.ts';

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const PROXY_PROTOCOL_SOCKET = 'envoy.transport_sockets.upstream_proxy_protocol';
const PROXY_PROTOCOL_TYPE =
  'type.googleapis.com/envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport';
const RAW_BUFFER_SOCKET = {
  name: 'envoy.transport_sockets.raw_buffer',
  typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer' },
};

/**
 * HTTP/2 to a backend as Envoy Gateway speaks it (its buildHTTP2Settings, after Envoy's edge best practices): a
 * 64 KiB window per stream and 1 MiB per connection unless a BackendTrafficPolicy's `http2` sets them — not
 * Envoy's own 256 MiB, which lets one backend make the proxy buffer that much per stream.
 */
export function upstreamHttp2Options(h2: ClusterTrafficIR['http2'] = {}): Json {
  return {
    initialStreamWindowSize: h2.initialStreamWindowSize ?? 64 * 1024,
    initialConnectionWindowSize: h2.initialConnectionWindowSize ?? 1024 * 1024,
    ...(h2.maxConcurrentStreams === undefined ? {} : { maxConcurrentStreams: h2.maxConcurrentStreams }),
    ...(h2.terminateStreamOnInvalidMessage === undefined
      ? {}
      : { overrideStreamErrorOnInvalidHttpMessage: h2.terminateStreamOnInvalidMessage }),
  };
}

/** The suffix that keeps clusters with different settings for one backend apart. */
export function clusterTrafficSuffix(traffic: ClusterTrafficIR | undefined): string {
  if (traffic === undefined) return '';
  return `/traffic/${createHash('sha256').update(JSON.stringify(traffic)).digest('hex').slice(0, 12)}`;
}

/** The cluster with the settings of its use's traffic policy applied (the cluster itself when it has none). */
export function withClusterTraffic(cluster: Json, use: ClusterUse, problems: string[]): Json {
  const traffic = use.traffic;
  if (traffic === undefined) return cluster;
  const out: Json = { ...cluster };
  const dnsResolved = cluster.type === 'LOGICAL_DNS' || cluster.type === 'STRICT_DNS';
  Object.assign(out, loadBalancing(traffic));
  if (traffic.circuitBreaker !== undefined) out.circuitBreakers = circuitBreakers(traffic.circuitBreaker);
  if (traffic.activeHealthCheck !== undefined) {
    const check = healthCheck(traffic.activeHealthCheck, use.http2);
    if (check === undefined)
      problems.push(
        `cluster ${use.name}: a gRPC health check needs an HTTP/2 backend (appProtocol h2c or a GRPCRoute); not programmed`,
      );
    else out.healthChecks = [check];
  }
  if (traffic.outlierDetection !== undefined)
    out.outlierDetection = outlierDetection(traffic.outlierDetection);
  if (traffic.panicThreshold !== undefined)
    out.commonLbConfig = {
      ...((out.commonLbConfig as Json) ?? {}),
      healthyPanicThreshold: { value: traffic.panicThreshold },
    };
  if (traffic.tcpKeepalive !== undefined) {
    out.upstreamConnectionOptions = {
      tcpKeepalive: {
        ...(traffic.tcpKeepalive.probes === undefined
          ? {}
          : { keepaliveProbes: traffic.tcpKeepalive.probes }),
        ...(traffic.tcpKeepalive.idleTimeS === undefined
          ? {}
          : { keepaliveTime: traffic.tcpKeepalive.idleTimeS }),
        ...(traffic.tcpKeepalive.intervalS === undefined
          ? {}
          : { keepaliveInterval: traffic.tcpKeepalive.intervalS }),
      },
    };
  }
  if (traffic.connectTimeoutMs !== undefined) out.connectTimeout = protoDuration(traffic.connectTimeoutMs);
  if (traffic.bufferLimitBytes !== undefined) out.perConnectionBufferLimitBytes = traffic.bufferLimitBytes;
  if (traffic.preconnect !== undefined) {
    out.preconnectPolicy = {
      ...(traffic.preconnect.perEndpointPercent === undefined
        ? {}
        : { perUpstreamPreconnectRatio: traffic.preconnect.perEndpointPercent / 100 }),
      ...(traffic.preconnect.predictivePercent === undefined
        ? {}
        : { predictivePreconnectRatio: traffic.preconnect.predictivePercent / 100 }),
    };
  }
  if (traffic.dns !== undefined && dnsResolved) {
    if (traffic.dns.refreshRateMs !== undefined)
      out.dnsRefreshRate = protoDuration(traffic.dns.refreshRateMs);
    if (traffic.dns.respectTtl !== undefined) out.respectDnsTtl = traffic.dns.respectTtl;
    if (traffic.dns.lookupFamily !== undefined) out.dnsLookupFamily = traffic.dns.lookupFamily;
  }
  const protocol = httpProtocolOptions(traffic, use.http2);
  if (protocol !== undefined) {
    const options = (cluster.typedExtensionProtocolOptions as Json | undefined) ?? {};
    out.typedExtensionProtocolOptions = {
      ...options,
      [HTTP_OPTIONS]: overProtocolOptions(options[HTTP_OPTIONS] as Json | undefined, protocol),
    };
  }
  if (traffic.proxyProtocol !== undefined) {
    out.transportSocket = {
      name: PROXY_PROTOCOL_SOCKET,
      typedConfig: {
        '@type': PROXY_PROTOCOL_TYPE,
        config: { version: traffic.proxyProtocol },
        transportSocket: (cluster.transportSocket as Json | undefined) ?? RAW_BUFFER_SOCKET,
      },
    };
  }
  return out;
}

function loadBalancing(traffic: ClusterTrafficIR): Json {
  const lb = traffic.loadBalancer;
  if (lb === undefined) return {};
  const slowStart =
    lb.slowStartWindowMs === undefined
      ? {}
      : { slowStartConfig: { slowStartWindow: protoDuration(lb.slowStartWindowMs) } };
  switch (lb.type) {
    case 'RoundRobin':
      return {
        lbPolicy: 'ROUND_ROBIN',
        ...(lb.slowStartWindowMs === undefined ? {} : { roundRobinLbConfig: slowStart }),
      };
    case 'LeastRequest':
      return {
        lbPolicy: 'LEAST_REQUEST',
        ...(lb.slowStartWindowMs === undefined ? {} : { leastRequestLbConfig: slowStart }),
      };
    case 'Random':
      return { lbPolicy: 'RANDOM' };
    case 'ConsistentHash':
      // Maglev, as Envoy Gateway: a table of `tableSize` entries (a prime).
      return {
        lbPolicy: 'MAGLEV',
        ...(lb.consistentHash?.tableSize === undefined
          ? {}
          : { maglevLbConfig: { tableSize: lb.consistentHash.tableSize } }),
      };
  }
}

function circuitBreakers(cb: NonNullable<ClusterTrafficIR['circuitBreaker']>): Json {
  return {
    thresholds: [
      {
        priority: 'DEFAULT',
        ...(cb.maxConnections === undefined ? {} : { maxConnections: cb.maxConnections }),
        ...(cb.maxPendingRequests === undefined ? {} : { maxPendingRequests: cb.maxPendingRequests }),
        ...(cb.maxParallelRequests === undefined ? {} : { maxRequests: cb.maxParallelRequests }),
        ...(cb.maxParallelRetries === undefined ? {} : { maxRetries: cb.maxParallelRetries }),
        ...(cb.retryBudget === undefined
          ? {}
          : {
              retryBudget: {
                budgetPercent: { value: cb.retryBudget.percent },
                ...(cb.retryBudget.minRetryConcurrency === undefined
                  ? {}
                  : { minRetryConcurrency: cb.retryBudget.minRetryConcurrency }),
              },
            }),
      },
    ],
    ...(cb.perEndpointMaxConnections === undefined
      ? {}
      : { perHostThresholds: [{ priority: 'DEFAULT', maxConnections: cb.perEndpointMaxConnections }] }),
  };
}

function healthCheck(check: ActiveHealthCheckIR, http2: boolean): Json | undefined {
  const base: Json = {
    timeout: protoDuration(check.timeoutMs),
    interval: protoDuration(check.intervalMs),
    // Envoy would check a cluster without traffic only once a minute: an endpoint's health is known before the
    // first request instead.
    noTrafficInterval: protoDuration(check.intervalMs),
    ...(check.initialJitterMs === undefined ? {} : { initialJitter: protoDuration(check.initialJitterMs) }),
    unhealthyThreshold: check.unhealthyThreshold,
    healthyThreshold: check.healthyThreshold,
    ...(check.port === undefined ? {} : { alternatePort: check.port }),
  };
  const spec = check.check;
  switch (spec.type) {
    case 'HTTP': {
      const expected = spec.expectedStatuses.map((status) => ({
        start: String(status),
        end: String(status + 1),
      }));
      const retriable = spec.retriableStatuses.map((status) => ({
        start: String(status),
        end: String(status + 1),
      }));
      return {
        ...base,
        httpHealthCheck: {
          path: spec.path,
          ...(spec.hostname === undefined ? {} : { host: spec.hostname }),
          ...(spec.method === undefined ? {} : { method: spec.method }),
          expectedStatuses: expected,
          ...(retriable.length === 0 ? {} : { retriableStatuses: retriable }),
          ...(spec.expectedResponseHex === undefined
            ? {}
            : { receive: [{ text: spec.expectedResponseHex }] }),
          ...(spec.requestBodyHex === undefined ? {} : { send: { text: spec.requestBodyHex } }),
          codecClientType: http2 ? 'HTTP2' : 'HTTP1',
        },
      };
    }
    case 'TCP':
      return {
        ...base,
        tcpHealthCheck: {
          ...(spec.sendHex === undefined ? {} : { send: { text: spec.sendHex } }),
          ...(spec.receiveHex === undefined ? {} : { receive: [{ text: spec.receiveHex }] }),
        },
      };
    case 'GRPC':
      if (!http2) return undefined;
      return { ...base, grpcHealthCheck: spec.service === undefined ? {} : { serviceName: spec.service } };
  }
}

function outlierDetection(od: NonNullable<ClusterTrafficIR['outlierDetection']>): Json {
  return {
    splitExternalLocalOriginErrors: od.splitExternalLocalOriginErrors,
    interval: protoDuration(od.intervalMs),
    consecutiveLocalOriginFailure: od.consecutiveLocalOriginFailures,
    ...(od.consecutiveGatewayErrors === undefined
      ? {}
      : { consecutiveGatewayFailure: od.consecutiveGatewayErrors, enforcingConsecutiveGatewayFailure: 100 }),
    consecutive5xx: od.consecutive5xx,
    baseEjectionTime: protoDuration(od.baseEjectionTimeMs),
    maxEjectionPercent: od.maxEjectionPercent,
    ...(od.failurePercentageThreshold === undefined
      ? {}
      : { failurePercentageThreshold: od.failurePercentageThreshold, enforcingFailurePercentage: 100 }),
    alwaysEjectOneHost: od.alwaysEjectOneEndpoint,
  };
}

/** HttpProtocolOptions for the cluster's HTTP connections (undefined when the policy sets none of them). */
/** The three ways Envoy's HttpProtocolOptions chooses the upstream protocol (a oneof: the policy's replaces the cluster's). */
const PROTOCOL_CHOICES = ['explicitHttpConfig', 'useDownstreamProtocolConfig', 'autoConfig'];

/**
 * A policy's protocol options over the cluster's own: what else the cluster set stays — a TLS Backend without SNI
 * settings has Envoy take the SNI from the request's Host and check the certificate against it
 * (`upstreamHttpProtocolOptions`), which a policy's timeouts or HTTP/2 settings must not switch off.
 */
function overProtocolOptions(current: Json | undefined, policy: Json): Json {
  if (current === undefined) return policy;
  const kept = Object.fromEntries(
    Object.entries(current).filter(([field]) => !PROTOCOL_CHOICES.includes(field)),
  );
  const common = {
    ...((current.commonHttpProtocolOptions as Json | undefined) ?? {}),
    ...((policy.commonHttpProtocolOptions as Json | undefined) ?? {}),
  };
  return {
    ...kept,
    ...policy,
    ...(Object.keys(common).length === 0 ? {} : { commonHttpProtocolOptions: common }),
  };
}

function httpProtocolOptions(traffic: ClusterTrafficIR, http2: boolean): Json | undefined {
  const common: Json = {
    ...(traffic.connectionIdleTimeoutMs === undefined
      ? {}
      : { idleTimeout: protoDuration(traffic.connectionIdleTimeoutMs) }),
    ...(traffic.maxConnectionDurationMs === undefined
      ? {}
      : { maxConnectionDuration: protoDuration(traffic.maxConnectionDurationMs) }),
    ...(traffic.circuitBreaker?.maxRequestsPerConnection === undefined
      ? {}
      : { maxRequestsPerConnection: traffic.circuitBreaker.maxRequestsPerConnection }),
  };
  const h2 = traffic.http2;
  const http2Set = h2 !== undefined && Object.values(h2).some((value) => value !== undefined);
  if (Object.keys(common).length === 0 && !http2Set && !traffic.useClientProtocol) return undefined;
  const http2Options = upstreamHttp2Options(h2);
  const protocol = traffic.useClientProtocol
    ? { useDownstreamProtocolConfig: { httpProtocolOptions: {}, http2ProtocolOptions: http2Options } }
    : http2
      ? { explicitHttpConfig: { http2ProtocolOptions: http2Options } }
      : { explicitHttpConfig: { httpProtocolOptions: {} } };
  return {
    '@type': TYPE.httpProtocolOptions,
    ...(Object.keys(common).length === 0 ? {} : { commonHttpProtocolOptions: common }),
    ...protocol,
  };
}
