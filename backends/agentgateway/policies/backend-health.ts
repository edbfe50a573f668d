// BackendTrafficPolicy cluster settings → agentgateway backend policies on each of the rule's backends: passive
// health (`outlierDetection`: a 5xx or a failed connection counts — agentgateway's default condition —, `consecutive5xx` in a row evicts the endpoint for
// `baseEjectionTime`, longer each time as in Envoy) as `health`, and the connect timeout and TCP keepalive as
// `backendTcp`. Everything else of the cluster (load balancer choice, circuit breakers, active health checks, DNS,
// HTTP/2 windows, PROXY protocol, ...) has no agentgateway field: it is named and the rule fails closed.
import type { BackendTrafficIR, ClusterTrafficIR } from '../../../model/ir/traffic-policies.ts';
import type { Json } from '../types.ts';
import type { FamilyOutput, Unsupported } from './context.ts';
import { duration } from './duration.ts';

/** The IR's cluster fields agentgateway has no equivalent for, with the spec field each comes from. */
const UNEXPRESSED: readonly [keyof ClusterTrafficIR, string][] = [
  ['loadBalancer', 'spec.loadBalancer'],
  ['circuitBreaker', 'spec.circuitBreaker'],
  ['activeHealthCheck', 'spec.healthCheck.active'],
  ['panicThreshold', 'spec.healthCheck.panicThreshold'],
  ['proxyProtocol', 'spec.proxyProtocol'],
  ['connectionIdleTimeoutMs', 'spec.timeout.http.connectionIdleTimeout'],
  ['maxConnectionDurationMs', 'spec.timeout.http.maxConnectionDuration'],
  ['bufferLimitBytes', 'spec.connection.bufferLimit'],
  ['preconnect', 'spec.connection.preconnect'],
  ['dns', 'spec.dns'],
  ['http2', 'spec.http2'],
  ['useClientProtocol', 'spec.useClientProtocol'],
];

export function backendHealthPolicies(traffic: BackendTrafficIR): FamilyOutput {
  const cluster = traffic.cluster;
  if (cluster === undefined) return {};
  const unsupported: Unsupported[] = UNEXPRESSED.filter(([field]) => cluster[field] !== undefined).map(
    ([, field]) => ({
      policy: traffic.policy,
      kind: 'BackendTrafficPolicy',
      field,
      why: 'agentgateway has no equivalent setting',
    }),
  );
  const outlier = cluster.outlierDetection;
  if (outlier?.splitExternalLocalOriginErrors)
    unsupported.push({
      policy: traffic.policy,
      kind: 'BackendTrafficPolicy',
      field: 'spec.healthCheck.passive.splitExternalLocalOriginErrors',
      why: 'agentgateway counts connection failures and 5xx answers alike',
    });
  if (unsupported.length > 0) return { unsupported };
  const backend: Json[] = [];
  if (outlier !== undefined) {
    backend.push({
      health: {
        eviction: {
          duration: duration(outlier.baseEjectionTimeMs),
          consecutiveFailures: outlier.consecutive5xx,
        },
      },
    });
  }
  const tcp: Json = {
    ...(cluster.connectTimeoutMs === undefined ? {} : { connectTimeout: duration(cluster.connectTimeoutMs) }),
    ...(cluster.tcpKeepalive === undefined ? {} : { keepalive: keepalive(cluster.tcpKeepalive) }),
  };
  if (Object.keys(tcp).length > 0) backend.push({ backendTcp: tcp });
  return { backend };
}

function keepalive(k: NonNullable<ClusterTrafficIR['tcpKeepalive']>): Json {
  return {
    ...(k.idleTimeS === undefined ? {} : { time: `${k.idleTimeS}s` }),
    ...(k.intervalS === undefined ? {} : { interval: `${k.intervalS}s` }),
    ...(k.probes === undefined ? {} : { retries: k.probes }),
  };
}
