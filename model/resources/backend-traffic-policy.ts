// Envoy Gateway's BackendTrafficPolicy (gateway.envoyproxy.io/v1alpha1, field names and meaning as in Envoy
// Gateway v1.9): how the data plane treats traffic to the backends of the Gateways, listeners, routes and route
// rules it targets — rate limits (local, and global through the rate limit service), retries, timeouts, fault
// injection, response overrides, and the cluster settings (load balancing, circuit breakers, health checks,
// proxy protocol, TCP keepalive, connection and DNS settings, HTTP/2). Its fields are described once, as a
// FieldSchema: the CRD is generated from it and files-mode objects are checked against it. Parts Switchyard does
// not support are described loosely (`free`) and refused by name (model/policies/backend-traffic-policy.ts).

import type { PolicyObject, PolicyTargetReferences } from './envoy-gateway-policy-base.ts';
import { http2Settings, targets } from './envoy-gateway-policy-base.ts';
import {
  bool,
  duration,
  type FieldSchema,
  free,
  int,
  list,
  map,
  num,
  obj,
  quantity,
  str,
} from './field-schema.ts';

// ---- Shapes (what the rules read; every field optional: objects come from users) --------------------------

export type RateLimitUnit = 'Second' | 'Minute' | 'Hour' | 'Day' | 'Week' | 'Month' | 'Year';

export interface RateLimitHeaderMatch {
  type?: 'Exact' | 'RegularExpression' | 'Distinct';
  name?: string;
  value?: string;
  invert?: boolean;
}

export interface RateLimitSelectCondition {
  headers?: RateLimitHeaderMatch[];
  methods?: { value?: string; invert?: boolean }[];
  path?: { type?: 'Exact' | 'PathPrefix' | 'RegularExpression'; value?: string; invert?: boolean };
  sourceCIDR?: { type?: 'Exact' | 'Distinct'; value?: string; invert?: boolean };
  queryParams?: RateLimitHeaderMatch[];
}

export interface RateLimitCostSpecifier {
  from?: 'Number' | 'Metadata';
  number?: number;
  metadata?: { namespace?: string; key?: string };
}

export interface RateLimitRule {
  clientSelectors?: RateLimitSelectCondition[];
  limit?: {
    requests?: number;
    unit?: RateLimitUnit;
    fromMetadata?: { namespace?: string; key?: string };
  };
  cost?: { request?: RateLimitCostSpecifier; response?: RateLimitCostSpecifier };
  shared?: boolean;
  shadowMode?: boolean;
  xRateLimitHeaders?: 'Off' | 'DraftVersion03';
}

export interface RateLimitSpec {
  type?: 'Global' | 'Local';
  global?: { rules?: RateLimitRule[] };
  local?: { rules?: RateLimitRule[] };
}

export interface ActiveHealthCheckPayload {
  type?: 'Text' | 'Binary';
  text?: string;
  binary?: string;
}

export interface ActiveHealthCheck {
  timeout?: string;
  interval?: string;
  initialJitter?: string;
  unhealthyThreshold?: number;
  healthyThreshold?: number;
  type?: 'HTTP' | 'TCP' | 'GRPC';
  http?: {
    hostname?: string;
    path?: string;
    method?: string;
    expectedStatuses?: number[];
    retriableStatuses?: number[];
    expectedResponse?: ActiveHealthCheckPayload;
    requestBody?: ActiveHealthCheckPayload;
  };
  tcp?: { send?: ActiveHealthCheckPayload; receive?: ActiveHealthCheckPayload };
  grpc?: { service?: string };
  overrides?: { port?: number };
  healthCheckLog?: unknown;
}

export interface PassiveHealthCheck {
  splitExternalLocalOriginErrors?: boolean;
  interval?: string;
  consecutiveLocalOriginFailures?: number;
  consecutiveGatewayErrors?: number;
  consecutive5XxErrors?: number;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  failurePercentageThreshold?: number;
  alwaysEjectOneEndpoint?: boolean;
}

export interface LoadBalancerSpec {
  type?: 'ConsistentHash' | 'LeastRequest' | 'Random' | 'RoundRobin' | 'BackendUtilization' | 'DynamicModule';
  consistentHash?: {
    type?: 'SourceIP' | 'Header' | 'Headers' | 'Cookie' | 'QueryParams';
    header?: { name?: string };
    headers?: { name?: string }[];
    cookie?: { name?: string; ttl?: string; attributes?: Record<string, string> };
    queryParams?: { name?: string }[];
    tableSize?: number;
  };
  slowStart?: { window?: string };
  backendUtilization?: unknown;
  dynamicModule?: unknown;
  endpointOverride?: unknown;
  zoneAware?: unknown;
}

export interface ResponseOverrideSpec {
  match?: {
    statusCodes?: { type?: 'Value' | 'Range'; value?: number; range?: { start?: number; end?: number } }[];
    responseHeaders?: unknown[];
  };
  response?: {
    contentType?: string;
    body?: {
      type?: 'Inline' | 'ValueRef';
      inline?: string;
      valueRef?: { group?: string; kind?: string; name?: string };
    };
    statusCode?: number;
    header?: {
      set?: { name?: string; value?: string }[];
      add?: { name?: string; value?: string }[];
      remove?: string[];
    };
  };
  redirect?: unknown;
  source?: 'All' | 'Local' | 'Backend';
}

/** The cluster settings Envoy Gateway shares between BackendTrafficPolicy and a policy's backendSettings. */
export interface ClusterSettingsSpec {
  loadBalancer?: LoadBalancerSpec;
  retry?: {
    numRetries?: number;
    numAttemptsPerPriority?: number;
    retryOn?: { triggers?: string[]; httpStatusCodes?: number[] };
    perRetry?: { timeout?: string; backOff?: { baseInterval?: string; maxInterval?: string } };
  };
  proxyProtocol?: { version?: 'V1' | 'V2' };
  tcpKeepalive?: { probes?: number; idleTime?: string; interval?: string };
  healthCheck?: { active?: ActiveHealthCheck; passive?: PassiveHealthCheck; panicThreshold?: number };
  circuitBreaker?: {
    maxConnections?: number;
    maxPendingRequests?: number;
    maxParallelRequests?: number;
    maxParallelRetries?: number;
    maxRequestsPerConnection?: number;
    perEndpoint?: { maxConnections?: number };
    retryBudget?: { percent?: { numerator?: number; denominator?: number }; minRetryConcurrency?: number };
  };
  timeout?: {
    tcp?: { connectTimeout?: string };
    http?: {
      connectionIdleTimeout?: string;
      maxConnectionDuration?: string;
      requestTimeout?: string;
      maxStreamDuration?: string;
      streamIdleTimeout?: string;
    };
  };
  connection?: {
    bufferLimit?: string | number;
    socketBufferLimit?: string | number;
    preconnect?: { perEndpointPercent?: number; predictivePercent?: number };
  };
  dns?: { dnsRefreshRate?: string; respectDnsTtl?: boolean; lookupFamily?: string };
  http2?: {
    initialStreamWindowSize?: string | number;
    initialConnectionWindowSize?: string | number;
    maxConcurrentStreams?: number;
    onInvalidMessage?: 'TerminateConnection' | 'TerminateStream';
    connectionKeepalive?: unknown;
  };
}

export interface BackendTrafficPolicySpec extends PolicyTargetReferences, ClusterSettingsSpec {
  mergeType?: 'StrategicMerge' | 'JSONMerge';
  rateLimit?: RateLimitSpec;
  faultInjection?: {
    delay?: { fixedDelay?: string; percentage?: number };
    abort?: { httpStatus?: number; grpcStatus?: number; percentage?: number };
  };
  responseOverride?: ResponseOverrideSpec[];
  useClientProtocol?: boolean;
  routingType?: 'Service' | 'Endpoint';
  bandwidthLimit?: unknown;
  admissionControl?: unknown;
  compression?: unknown[];
  compressor?: unknown[];
  httpUpgrade?: unknown[];
  requestBuffer?: unknown;
  telemetry?: unknown;
}

export type BackendTrafficPolicy = PolicyObject<'BackendTrafficPolicy', BackendTrafficPolicySpec>;

// ---- Schema -------------------------------------------------------------------------------------------------

const RATE_LIMIT_UNITS = ['Second', 'Minute', 'Hour', 'Day', 'Week', 'Month', 'Year'];
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

const valueMatch = obj(
  { type: str(['Exact', 'RegularExpression', 'Distinct']), name: str(), value: str(), invert: bool },
  ['name'],
);
const costSpecifier = obj(
  {
    from: str(['Number', 'Metadata']),
    number: int(0),
    metadata: obj({ namespace: str(), key: str() }, ['namespace', 'key']),
  },
  ['from'],
);
const rateLimitRule = obj(
  {
    clientSelectors: list(
      obj({
        headers: list(valueMatch, 128),
        methods: list(obj({ value: str(HTTP_METHODS), invert: bool }, ['value'])),
        path: obj({ type: str(['Exact', 'PathPrefix', 'RegularExpression']), value: str(), invert: bool }, [
          'value',
        ]),
        sourceCIDR: obj({ type: str(['Exact', 'Distinct']), value: str(), invert: bool }, ['value']),
        queryParams: list(valueMatch, 16),
      }),
      8,
    ),
    limit: obj(
      {
        requests: int(0, 4294967295),
        unit: str(RATE_LIMIT_UNITS),
        fromMetadata: obj({ namespace: str(), key: str() }, ['namespace', 'key']),
      },
      ['requests', 'unit'],
    ),
    cost: obj({ request: costSpecifier, response: costSpecifier }),
    shared: bool,
    shadowMode: bool,
    xRateLimitHeaders: str(['Off', 'DraftVersion03']),
  },
  ['limit'],
);

const payload = obj({ type: str(['Text', 'Binary']), text: str(), binary: str() }, ['type']);
const statusList = list(int(100, 599));
const uint32 = int(0, 4294967295);

const activeHealthCheck = obj(
  {
    timeout: duration,
    interval: duration,
    initialJitter: duration,
    unhealthyThreshold: int(1),
    healthyThreshold: int(1),
    type: str(['HTTP', 'TCP', 'GRPC']),
    http: obj(
      {
        hostname: str(),
        path: str(),
        method: str(),
        expectedStatuses: statusList,
        retriableStatuses: statusList,
        expectedResponse: payload,
        requestBody: payload,
      },
      ['path'],
    ),
    tcp: obj({ send: payload, receive: payload }),
    grpc: obj({ service: str() }),
    overrides: obj({ port: int(1, 65535) }),
    healthCheckLog: free,
  },
  ['type'],
);

const passiveHealthCheck = obj({
  splitExternalLocalOriginErrors: bool,
  interval: duration,
  consecutiveLocalOriginFailures: int(0),
  consecutiveGatewayErrors: int(0),
  consecutive5XxErrors: int(0),
  baseEjectionTime: duration,
  maxEjectionPercent: int(0, 100),
  failurePercentageThreshold: int(0, 100),
  alwaysEjectOneEndpoint: bool,
});

const nameOnly = obj({ name: str() }, ['name']);

const loadBalancer = obj(
  {
    type: str([
      'ConsistentHash',
      'LeastRequest',
      'Random',
      'RoundRobin',
      'BackendUtilization',
      'DynamicModule',
    ]),
    consistentHash: obj(
      {
        type: str(['SourceIP', 'Header', 'Headers', 'Cookie', 'QueryParams']),
        header: nameOnly,
        headers: list(nameOnly),
        cookie: obj({ name: str(), ttl: duration, attributes: map(str()) }, ['name']),
        queryParams: list(nameOnly),
        tableSize: int(2, 5000011),
      },
      ['type'],
    ),
    slowStart: obj({ window: duration }, ['window']),
    backendUtilization: free,
    dynamicModule: free,
    endpointOverride: free,
    zoneAware: free,
  },
  ['type'],
);

const headerValue = obj({ name: str(), value: str() }, ['name', 'value']);

const responseOverride = obj(
  {
    match: obj({
      statusCodes: list(
        obj({
          type: str(['Value', 'Range']),
          value: int(),
          range: obj({ start: int(), end: int() }, ['start', 'end']),
        }),
        50,
      ),
      responseHeaders: list(free, 16),
    }),
    response: obj({
      contentType: str(),
      body: obj({
        type: str(['Inline', 'ValueRef']),
        inline: str(),
        valueRef: obj({ group: str(), kind: str(), name: str() }, ['kind', 'name']),
      }),
      statusCode: int(),
      header: obj({ set: list(headerValue, 16), add: list(headerValue, 16), remove: list(str(), 16) }),
    }),
    redirect: free,
    source: str(['All', 'Local', 'Backend']),
  },
  ['match'],
);

/** Envoy Gateway's ClusterSettings, inlined in a BackendTrafficPolicy's spec. */
export const CLUSTER_SETTINGS_FIELDS: Readonly<Record<string, FieldSchema>> = {
  loadBalancer,
  retry: obj({
    numRetries: int(0),
    numAttemptsPerPriority: int(0),
    retryOn: obj({ triggers: list(str()), httpStatusCodes: statusList }),
    perRetry: obj({
      timeout: duration,
      backOff: obj({ baseInterval: duration, maxInterval: duration }),
    }),
  }),
  proxyProtocol: obj({ version: str(['V1', 'V2']) }, ['version']),
  tcpKeepalive: obj({ probes: int(0), idleTime: duration, interval: duration }),
  healthCheck: obj({ active: activeHealthCheck, passive: passiveHealthCheck, panicThreshold: int(0, 100) }),
  circuitBreaker: obj({
    maxConnections: uint32,
    maxPendingRequests: uint32,
    maxParallelRequests: uint32,
    maxParallelRetries: uint32,
    maxRequestsPerConnection: uint32,
    perEndpoint: obj({ maxConnections: uint32 }),
    retryBudget: obj(
      {
        percent: obj({ numerator: int(0), denominator: int(1) }, ['numerator']),
        minRetryConcurrency: uint32,
      },
      ['percent'],
    ),
  }),
  timeout: obj({
    tcp: obj({ connectTimeout: duration }),
    http: obj({
      connectionIdleTimeout: duration,
      maxConnectionDuration: duration,
      requestTimeout: duration,
      maxStreamDuration: duration,
      streamIdleTimeout: duration,
    }),
  }),
  connection: obj({
    bufferLimit: quantity,
    socketBufferLimit: quantity,
    preconnect: obj({ perEndpointPercent: int(100, 300), predictivePercent: int(100) }),
  }),
  dns: obj({
    dnsRefreshRate: duration,
    respectDnsTtl: bool,
    lookupFamily: str(['IPv4', 'IPv6', 'IPv4Preferred', 'IPv6Preferred', 'IPv4AndIPv6']),
  }),
  http2: http2Settings,
};

export const BACKEND_TRAFFIC_POLICY_SPEC: FieldSchema = obj({
  ...targets,
  ...CLUSTER_SETTINGS_FIELDS,
  mergeType: str(['StrategicMerge', 'JSONMerge']),
  rateLimit: obj({
    type: str(['Global', 'Local']),
    global: obj({ rules: list(rateLimitRule, 256) }, ['rules']),
    local: obj({ rules: list(rateLimitRule, 16) }),
  }),
  faultInjection: obj({
    delay: obj({ fixedDelay: duration, percentage: num(0, 100) }, ['fixedDelay']),
    abort: obj({ httpStatus: int(200, 600), grpcStatus: int(0, 16), percentage: num(0, 100) }),
  }),
  responseOverride: list(responseOverride),
  useClientProtocol: bool,
  routingType: str(['Service', 'Endpoint']),
  bandwidthLimit: free,
  admissionControl: free,
  compression: list(free),
  compressor: list(free),
  httpUpgrade: list(free),
  requestBuffer: free,
  telemetry: free,
});
