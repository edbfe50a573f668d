// Envoy Gateway's ClusterSettings (inlined in a BackendTrafficPolicy) → the IR's ClusterTrafficIR: load balancing
// (round robin, least request, random, consistent hash on the source IP, headers, a cookie or query parameters;
// slow start), circuit breakers, active health checks (HTTP, TCP, gRPC) and passive ones (outlier detection),
// proxy protocol, TCP keepalive, connect and HTTP connection timeouts, buffer limits, preconnect, DNS settings and
// HTTP/2 settings. Defaults are Envoy Gateway's (its CRD defaults, which files mode does not apply by itself).
import type { ActiveHealthCheckIR, ClusterTrafficIR, LoadBalancerIR } from '../ir/traffic-policies.ts';
import type {
  ActiveHealthCheck,
  ActiveHealthCheckPayload,
  BackendTrafficPolicySpec,
} from '../resources/backend-traffic-policy.ts';
import { parseGatewayDuration } from '../shared/durations.ts';
import { quantityBytes } from './client-traffic-policy.ts';
import { failure, type Resolved } from './policy-backends.ts';

const CIRCUIT_BREAKER_DEFAULT = 1024;
const LOOKUP_FAMILIES: Readonly<Record<string, NonNullable<ClusterTrafficIR['dns']>['lookupFamily']>> = {
  IPv4: 'V4_ONLY',
  IPv6: 'V6_ONLY',
  IPv4Preferred: 'V4_PREFERRED',
  IPv6Preferred: 'AUTO',
  IPv4AndIPv6: 'ALL',
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function ms(value: string | undefined, field: string): Resolved<number | undefined> {
  if (value === undefined) return { ok: true, value: undefined };
  const parsed = parseGatewayDuration(value);
  return parsed === undefined
    ? failure(`${field}: "${value}" is not a duration`)
    : { ok: true, value: parsed };
}

/** Several durations at once: their values by name, or the first that does not parse. */
function durations<K extends string>(
  values: Readonly<Record<K, [string | undefined, string]>>,
): Resolved<Partial<Record<K, number>>> {
  const out: Partial<Record<K, number>> = {};
  for (const [name, [value, field]] of Object.entries(values) as [K, [string | undefined, string]][]) {
    const parsed = ms(value, field);
    if (!parsed.ok) return parsed;
    if (parsed.value !== undefined) out[name] = parsed.value;
  }
  return { ok: true, value: out };
}

/** The cluster settings of a spec; undefined when it sets none. */
export function clusterSettingsOf(spec: BackendTrafficPolicySpec): Resolved<ClusterTrafficIR | undefined> {
  const ir: Mutable<ClusterTrafficIR> = {};
  const steps: (() => Resolved<unknown>)[] = [
    () => loadBalancerOf(spec, ir),
    () => circuitBreakerOf(spec, ir),
    () => healthChecksOf(spec, ir),
    () => connectionOf(spec, ir),
    () => dnsAndHttp2Of(spec, ir),
  ];
  for (const step of steps) {
    const result = step();
    if (!result.ok) return result;
  }
  if (spec.proxyProtocol?.version !== undefined) ir.proxyProtocol = spec.proxyProtocol.version;
  if (spec.useClientProtocol === true) ir.useClientProtocol = true;
  return { ok: true, value: Object.keys(ir).length === 0 ? undefined : ir };
}

function loadBalancerOf(spec: BackendTrafficPolicySpec, ir: Mutable<ClusterTrafficIR>): Resolved<unknown> {
  const lb = spec.loadBalancer;
  if (lb === undefined || lb === null) return { ok: true, value: undefined };
  const type = lb.type;
  if (type === 'BackendUtilization' || type === 'DynamicModule')
    return failure(
      `spec.loadBalancer.type: ${type} is not supported by Switchyard; use RoundRobin, LeastRequest, Random or ConsistentHash`,
    );
  if (type === undefined) return failure('spec.loadBalancer.type: required');
  const out: Mutable<LoadBalancerIR> = { type };
  if (type === 'ConsistentHash') {
    const hash = lb.consistentHash;
    if (hash === undefined)
      return failure('spec.loadBalancer.consistentHash: required with type ConsistentHash');
    const at = 'spec.loadBalancer.consistentHash';
    const names = (list: readonly { name?: string }[] | undefined, field: string): Resolved<string[]> => {
      const out = (list ?? []).map((item) => String(item?.name ?? ''));
      return out.length === 0 || out.includes('')
        ? failure(`${at}.${field}: at least one name`)
        : { ok: true, value: out };
    };
    let hashIR: NonNullable<LoadBalancerIR['consistentHash']>['hash'];
    switch (hash.type) {
      case 'SourceIP':
        hashIR = { kind: 'SourceIP' };
        break;
      case 'Header':
      case 'Headers': {
        const list = hash.type === 'Header' ? (hash.header === undefined ? [] : [hash.header]) : hash.headers;
        const parsed = names(list, hash.type === 'Header' ? 'header' : 'headers');
        if (!parsed.ok) return parsed;
        hashIR = { kind: 'Headers', names: parsed.value.map((n) => n.toLowerCase()) };
        break;
      }
      case 'QueryParams': {
        const parsed = names(hash.queryParams, 'queryParams');
        if (!parsed.ok) return parsed;
        hashIR = { kind: 'QueryParams', names: parsed.value };
        break;
      }
      case 'Cookie': {
        const cookie = hash.cookie;
        if (cookie?.name === undefined || cookie.name === '') return failure(`${at}.cookie.name: required`);
        const ttl = ms(cookie.ttl, `${at}.cookie.ttl`);
        if (!ttl.ok) return ttl;
        hashIR = {
          kind: 'Cookie',
          name: cookie.name,
          ...(ttl.value === undefined ? {} : { ttlMs: ttl.value }),
          attributes: Object.entries(cookie.attributes ?? {})
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([name, value]) => ({ name, value: String(value) })),
        };
        break;
      }
      default:
        return failure(`${at}.type: required (SourceIP, Header, Headers, Cookie or QueryParams)`);
    }
    out.consistentHash = {
      hash: hashIR,
      ...(hash.tableSize === undefined ? {} : { tableSize: hash.tableSize }),
    };
  } else if (lb.consistentHash !== undefined) {
    return failure('spec.loadBalancer.consistentHash: only with type ConsistentHash');
  }
  if (lb.slowStart !== undefined) {
    if (type === 'Random' || type === 'ConsistentHash')
      return failure(
        `spec.loadBalancer.slowStart: not available with ${type}; use RoundRobin or LeastRequest`,
      );
    const window = ms(lb.slowStart.window, 'spec.loadBalancer.slowStart.window');
    if (!window.ok) return window;
    if (window.value !== undefined) out.slowStartWindowMs = window.value;
  }
  ir.loadBalancer = out;
  return { ok: true, value: undefined };
}

function circuitBreakerOf(spec: BackendTrafficPolicySpec, ir: Mutable<ClusterTrafficIR>): Resolved<unknown> {
  const cb = spec.circuitBreaker;
  if (cb === undefined || cb === null) return { ok: true, value: undefined };
  const budget = cb.retryBudget;
  const denominator = budget?.percent?.denominator ?? 100;
  ir.circuitBreaker = {
    maxConnections: cb.maxConnections ?? CIRCUIT_BREAKER_DEFAULT,
    maxPendingRequests: cb.maxPendingRequests ?? CIRCUIT_BREAKER_DEFAULT,
    maxParallelRequests: cb.maxParallelRequests ?? CIRCUIT_BREAKER_DEFAULT,
    maxParallelRetries: cb.maxParallelRetries ?? CIRCUIT_BREAKER_DEFAULT,
    ...(cb.maxRequestsPerConnection === undefined
      ? {}
      : { maxRequestsPerConnection: cb.maxRequestsPerConnection }),
    ...(cb.perEndpoint === undefined
      ? {}
      : { perEndpointMaxConnections: cb.perEndpoint.maxConnections ?? CIRCUIT_BREAKER_DEFAULT }),
    ...(budget === undefined
      ? {}
      : {
          retryBudget: {
            percent: (100 * (budget.percent?.numerator ?? 0)) / denominator,
            ...(budget.minRetryConcurrency === undefined
              ? {}
              : { minRetryConcurrency: budget.minRetryConcurrency }),
          },
        }),
  };
  if ((ir.circuitBreaker.retryBudget?.percent ?? 0) > 100)
    return failure('spec.circuitBreaker.retryBudget.percent: must not exceed 100%');
  return { ok: true, value: undefined };
}

function healthChecksOf(spec: BackendTrafficPolicySpec, ir: Mutable<ClusterTrafficIR>): Resolved<unknown> {
  const hc = spec.healthCheck;
  if (hc === undefined || hc === null) return { ok: true, value: undefined };
  if (hc.panicThreshold !== undefined) ir.panicThreshold = hc.panicThreshold;
  if (hc.active !== undefined) {
    const active = activeHealthCheckOf(hc.active);
    if (!active.ok) return active;
    ir.activeHealthCheck = active.value;
  }
  const passive = hc.passive;
  if (passive !== undefined) {
    const times = durations({
      interval: [passive.interval, 'spec.healthCheck.passive.interval'],
      baseEjectionTime: [passive.baseEjectionTime, 'spec.healthCheck.passive.baseEjectionTime'],
    });
    if (!times.ok) return times;
    ir.outlierDetection = {
      splitExternalLocalOriginErrors: passive.splitExternalLocalOriginErrors === true,
      intervalMs: times.value.interval ?? 3_000,
      consecutiveLocalOriginFailures: passive.consecutiveLocalOriginFailures ?? 5,
      ...(passive.consecutiveGatewayErrors === undefined
        ? {}
        : { consecutiveGatewayErrors: passive.consecutiveGatewayErrors }),
      consecutive5xx: passive.consecutive5XxErrors ?? 5,
      baseEjectionTimeMs: times.value.baseEjectionTime ?? 30_000,
      maxEjectionPercent: passive.maxEjectionPercent ?? 10,
      ...(passive.failurePercentageThreshold === undefined
        ? {}
        : { failurePercentageThreshold: passive.failurePercentageThreshold }),
      alwaysEjectOneEndpoint: passive.alwaysEjectOneEndpoint === true,
    };
  }
  return { ok: true, value: undefined };
}

function payloadHex(
  payload: ActiveHealthCheckPayload | undefined,
  field: string,
): Resolved<string | undefined> {
  if (payload === undefined) return { ok: true, value: undefined };
  if (payload.type === 'Text') {
    if (typeof payload.text !== 'string') return failure(`${field}.text: required with type Text`);
    return { ok: true, value: Buffer.from(payload.text, 'utf8').toString('hex') };
  }
  if (typeof payload.binary !== 'string') return failure(`${field}.binary: required with type Binary`);
  return { ok: true, value: Buffer.from(payload.binary, 'base64').toString('hex') };
}

function activeHealthCheckOf(active: ActiveHealthCheck): Resolved<ActiveHealthCheckIR> {
  const at = 'spec.healthCheck.active';
  if (active.healthCheckLog !== undefined)
    return failure(`${at}.healthCheckLog: not supported by Switchyard; remove it`);
  const times = durations({
    timeout: [active.timeout, `${at}.timeout`],
    interval: [active.interval, `${at}.interval`],
    initialJitter: [active.initialJitter, `${at}.initialJitter`],
  });
  if (!times.ok) return times;
  let check: ActiveHealthCheckIR['check'];
  if (active.type === 'HTTP') {
    const http = active.http;
    if (http === undefined || typeof http.path !== 'string' || !http.path.startsWith('/'))
      return failure(`${at}.http.path: required with type HTTP, and must start with /`);
    if (active.tcp !== undefined || active.grpc !== undefined)
      return failure(`${at}: only the settings of type HTTP may be set`);
    const expected = payloadHex(http.expectedResponse, `${at}.http.expectedResponse`);
    if (!expected.ok) return expected;
    const body = payloadHex(http.requestBody, `${at}.http.requestBody`);
    if (!body.ok) return body;
    if (body.value !== undefined && !['POST', 'PUT'].includes(String(http.method ?? '').toUpperCase()))
      return failure(`${at}.http.requestBody: only with method POST or PUT`);
    check = {
      type: 'HTTP',
      path: http.path,
      ...(http.method === undefined ? {} : { method: http.method.toUpperCase() }),
      ...(http.hostname === undefined ? {} : { hostname: http.hostname }),
      expectedStatuses: http.expectedStatuses ?? [200],
      retriableStatuses: http.retriableStatuses ?? [],
      ...(expected.value === undefined ? {} : { expectedResponseHex: expected.value }),
      ...(body.value === undefined ? {} : { requestBodyHex: body.value }),
    };
  } else if (active.type === 'TCP') {
    if (active.http !== undefined || active.grpc !== undefined)
      return failure(`${at}: only the settings of type TCP may be set`);
    const send = payloadHex(active.tcp?.send, `${at}.tcp.send`);
    if (!send.ok) return send;
    const receive = payloadHex(active.tcp?.receive, `${at}.tcp.receive`);
    if (!receive.ok) return receive;
    check = {
      type: 'TCP',
      ...(send.value === undefined ? {} : { sendHex: send.value }),
      ...(receive.value === undefined ? {} : { receiveHex: receive.value }),
    };
  } else if (active.type === 'GRPC') {
    if (active.http !== undefined || active.tcp !== undefined)
      return failure(`${at}: only the settings of type GRPC may be set`);
    check = { type: 'GRPC', ...(active.grpc?.service === undefined ? {} : { service: active.grpc.service }) };
  } else {
    return failure(`${at}.type: required (HTTP, TCP or GRPC)`);
  }
  return {
    ok: true,
    value: {
      timeoutMs: times.value.timeout ?? 1_000,
      intervalMs: times.value.interval ?? 3_000,
      ...(times.value.initialJitter === undefined ? {} : { initialJitterMs: times.value.initialJitter }),
      unhealthyThreshold: active.unhealthyThreshold ?? 3,
      healthyThreshold: active.healthyThreshold ?? 1,
      ...(active.overrides?.port === undefined ? {} : { port: active.overrides.port }),
      check,
    },
  };
}

function connectionOf(spec: BackendTrafficPolicySpec, ir: Mutable<ClusterTrafficIR>): Resolved<unknown> {
  const times = durations({
    keepaliveIdle: [spec.tcpKeepalive?.idleTime, 'spec.tcpKeepalive.idleTime'],
    keepaliveInterval: [spec.tcpKeepalive?.interval, 'spec.tcpKeepalive.interval'],
    connect: [spec.timeout?.tcp?.connectTimeout, 'spec.timeout.tcp.connectTimeout'],
    idle: [spec.timeout?.http?.connectionIdleTimeout, 'spec.timeout.http.connectionIdleTimeout'],
    maxDuration: [spec.timeout?.http?.maxConnectionDuration, 'spec.timeout.http.maxConnectionDuration'],
  });
  if (!times.ok) return times;
  const seconds = (value: number) => Math.max(1, Math.round(value / 1000));
  if (spec.tcpKeepalive !== undefined) {
    ir.tcpKeepalive = {
      ...(spec.tcpKeepalive.probes === undefined ? {} : { probes: spec.tcpKeepalive.probes }),
      ...(times.value.keepaliveIdle === undefined ? {} : { idleTimeS: seconds(times.value.keepaliveIdle) }),
      ...(times.value.keepaliveInterval === undefined
        ? {}
        : { intervalS: seconds(times.value.keepaliveInterval) }),
    };
  }
  if (times.value.connect !== undefined) ir.connectTimeoutMs = times.value.connect;
  if (times.value.idle !== undefined) ir.connectionIdleTimeoutMs = times.value.idle;
  if (times.value.maxDuration !== undefined) ir.maxConnectionDurationMs = times.value.maxDuration;
  const connection = spec.connection;
  if (connection?.socketBufferLimit !== undefined)
    return failure('spec.connection.socketBufferLimit: not supported by Switchyard; use bufferLimit');
  if (connection?.bufferLimit !== undefined) {
    const bytes = quantityBytes(connection.bufferLimit);
    if (bytes === null)
      return failure(`spec.connection.bufferLimit: "${connection.bufferLimit}" is not a quantity`);
    ir.bufferLimitBytes = bytes;
  }
  if (connection?.preconnect !== undefined) {
    ir.preconnect = {
      ...(connection.preconnect.perEndpointPercent === undefined
        ? {}
        : { perEndpointPercent: connection.preconnect.perEndpointPercent }),
      ...(connection.preconnect.predictivePercent === undefined
        ? {}
        : { predictivePercent: connection.preconnect.predictivePercent }),
    };
  }
  return { ok: true, value: undefined };
}

function dnsAndHttp2Of(spec: BackendTrafficPolicySpec, ir: Mutable<ClusterTrafficIR>): Resolved<unknown> {
  if (spec.dns !== undefined) {
    const refresh = ms(spec.dns.dnsRefreshRate, 'spec.dns.dnsRefreshRate');
    if (!refresh.ok) return refresh;
    const family = spec.dns.lookupFamily === undefined ? undefined : LOOKUP_FAMILIES[spec.dns.lookupFamily];
    ir.dns = {
      ...(refresh.value === undefined ? {} : { refreshRateMs: refresh.value }),
      ...(spec.dns.respectDnsTtl === undefined ? {} : { respectTtl: spec.dns.respectDnsTtl }),
      ...(family === undefined ? {} : { lookupFamily: family }),
    };
  }
  const http2 = spec.http2;
  if (http2 !== undefined) {
    if (http2.connectionKeepalive !== undefined)
      return failure('spec.http2.connectionKeepalive: not supported by Switchyard; remove it');
    const window = (value: string | number | undefined, field: string): Resolved<number | undefined> => {
      if (value === undefined) return { ok: true, value: undefined };
      const bytes = quantityBytes(value);
      return bytes === null ? failure(`${field}: "${value}" is not a quantity`) : { ok: true, value: bytes };
    };
    const stream = window(http2.initialStreamWindowSize, 'spec.http2.initialStreamWindowSize');
    if (!stream.ok) return stream;
    const connection = window(http2.initialConnectionWindowSize, 'spec.http2.initialConnectionWindowSize');
    if (!connection.ok) return connection;
    ir.http2 = {
      ...(stream.value === undefined ? {} : { initialStreamWindowSize: stream.value }),
      ...(connection.value === undefined ? {} : { initialConnectionWindowSize: connection.value }),
      ...(http2.maxConcurrentStreams === undefined
        ? {}
        : { maxConcurrentStreams: http2.maxConcurrentStreams }),
      ...(http2.onInvalidMessage === undefined
        ? {}
        : { terminateStreamOnInvalidMessage: http2.onInvalidMessage === 'TerminateStream' }),
    };
  }
  return { ok: true, value: undefined };
}
