// The Gateway IR's BackendTrafficPolicy part: what a BackendTrafficPolicy (possibly merged with its parent's)
// asks of one route rule, already resolved, so a backend translates it without knowing the policy kind. Route
// settings (rate limits, retries, timeouts, fault injection, response overrides) apply to the rule's requests;
// cluster settings (load balancing, circuit breakers, health checks, connection settings) to the clusters of
// the rule's backends. Types only: model/policies/backend-traffic-policy.ts produces it.

import type { ResourceKey } from '../resources/resource-key.ts';

export type RateLimitUnitIR = 'Second' | 'Minute' | 'Hour' | 'Day' | 'Week' | 'Month' | 'Year';

/** A request value (header, query parameter) a rate limit rule selects on. */
export interface RateLimitValueMatchIR {
  readonly name: string;
  /** Distinct: every value gets its own bucket (the value becomes part of the descriptor). */
  readonly match:
    | { readonly kind: 'Exact' | 'RegularExpression'; readonly value: string }
    | { readonly kind: 'Distinct' };
  /** Selects requests whose value does not match (or that lack the header/parameter). */
  readonly invert: boolean;
}

/** What selects a request for a rate limit rule: every part must hold. */
export interface RateLimitSelectorIR {
  readonly headers: readonly RateLimitValueMatchIR[];
  /** Any of these methods (empty: any method). */
  readonly methods: readonly { readonly value: string; readonly invert: boolean }[];
  readonly path?: {
    readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression';
    readonly value: string;
    readonly invert: boolean;
  };
  readonly sourceCIDR?: {
    readonly cidr: string;
    readonly address: string;
    readonly prefixLength: number;
    /** Each client address in the range gets its own bucket; otherwise the range shares one. */
    readonly distinct: boolean;
    readonly invert: boolean;
  };
  readonly queryParams: readonly RateLimitValueMatchIR[];
}

/** How much a request uses of a rule's budget. */
export type RateLimitCostIR =
  | { readonly kind: 'Number'; readonly number: number }
  /** A number the request's dynamic metadata holds (e.g. the token count the AI ext_proc wrote). */
  | { readonly kind: 'Metadata'; readonly namespace: string; readonly key: string };

export interface RateLimitRuleIR {
  /**
   * The bucket's identity: the policy that wrote the rule and the rule's index there. It survives a merge, so a
   * Gateway-level rule keeps one counter per route (or one for all, when shared) wherever it is merged in.
   */
  readonly owner: ResourceKey;
  readonly index: number;
  readonly selector: RateLimitSelectorIR;
  readonly requests: number;
  readonly unit: RateLimitUnitIR;
  /** Cost on the request path (default 1). */
  readonly requestCost?: RateLimitCostIR;
  /** Cost taken once the response is done (global only): the next request pays for this one's usage. */
  readonly responseCost?: RateLimitCostIR;
  /** One bucket across every route the policy reaches (true), or one per route (false). */
  readonly shared: boolean;
  /** Counted but never enforced (global only). */
  readonly shadowMode: boolean;
  /** X-RateLimit-* response headers for this rule; undefined: the listener's default (on). */
  readonly xRateLimitHeaders?: 'Off' | 'DraftVersion03';
}

export interface RetryIR {
  readonly numRetries: number;
  /** Envoy retry_on conditions. */
  readonly retryOn: readonly string[];
  readonly retriableStatusCodes: readonly number[];
  readonly perTryTimeoutMs?: number;
  readonly backoff?: { readonly baseIntervalMs?: number; readonly maxIntervalMs?: number };
}

export interface FaultInjectionIR {
  readonly delay?: { readonly fixedDelayMs: number; readonly percentage: number };
  readonly abort?:
    | { readonly httpStatus: number; readonly percentage: number }
    | { readonly grpcStatus: number; readonly percentage: number };
}

export interface ResponseOverrideIR {
  /** Any of these matches the response status: one code or an inclusive range. */
  readonly statusCodes: readonly (
    | { readonly value: number }
    | { readonly start: number; readonly end: number }
  )[];
  readonly response: {
    readonly contentType?: string;
    readonly body?: string;
    readonly statusCode?: number;
    readonly headers: readonly { readonly name: string; readonly value: string; readonly append: boolean }[];
  };
}

export type ConsistentHashIR =
  | { readonly kind: 'SourceIP' }
  | { readonly kind: 'Headers'; readonly names: readonly string[] }
  | {
      readonly kind: 'Cookie';
      readonly name: string;
      readonly ttlMs?: number;
      readonly attributes: readonly { readonly name: string; readonly value: string }[];
    }
  | { readonly kind: 'QueryParams'; readonly names: readonly string[] };

export interface LoadBalancerIR {
  readonly type: 'RoundRobin' | 'LeastRequest' | 'Random' | 'ConsistentHash';
  /** ConsistentHash: what the ring hashes (the route computes it) and the ring's size. */
  readonly consistentHash?: { readonly hash: ConsistentHashIR; readonly tableSize?: number };
  readonly slowStartWindowMs?: number;
}

export interface ActiveHealthCheckIR {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly initialJitterMs?: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly port?: number;
  readonly check:
    | {
        readonly type: 'HTTP';
        readonly path: string;
        readonly method?: string;
        readonly hostname?: string;
        /** Healthy statuses (default 200). */
        readonly expectedStatuses: readonly number[];
        readonly retriableStatuses: readonly number[];
        /** Bytes the body must contain, hex-encoded. */
        readonly expectedResponseHex?: string;
        readonly requestBodyHex?: string;
      }
    | { readonly type: 'TCP'; readonly sendHex?: string; readonly receiveHex?: string }
    | { readonly type: 'GRPC'; readonly service?: string };
}

export interface OutlierDetectionIR {
  readonly splitExternalLocalOriginErrors: boolean;
  readonly intervalMs: number;
  readonly consecutiveLocalOriginFailures: number;
  readonly consecutiveGatewayErrors?: number;
  readonly consecutive5xx: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
  readonly failurePercentageThreshold?: number;
  readonly alwaysEjectOneEndpoint: boolean;
}

/** Settings of the clusters a rule's backends are reached through. */
export interface ClusterTrafficIR {
  readonly loadBalancer?: LoadBalancerIR;
  readonly circuitBreaker?: {
    readonly maxConnections?: number;
    readonly maxPendingRequests?: number;
    readonly maxParallelRequests?: number;
    readonly maxParallelRetries?: number;
    readonly maxRequestsPerConnection?: number;
    readonly perEndpointMaxConnections?: number;
    readonly retryBudget?: { readonly percent: number; readonly minRetryConcurrency?: number };
  };
  readonly activeHealthCheck?: ActiveHealthCheckIR;
  readonly outlierDetection?: OutlierDetectionIR;
  /** Percent of unhealthy endpoints above which Envoy balances over all of them (0 disables panic mode). */
  readonly panicThreshold?: number;
  readonly proxyProtocol?: 'V1' | 'V2';
  /** Socket keepalive to the backend (seconds). */
  readonly tcpKeepalive?: {
    readonly probes?: number;
    readonly idleTimeS?: number;
    readonly intervalS?: number;
  };
  readonly connectTimeoutMs?: number;
  /** HTTP connections to the backend. */
  readonly connectionIdleTimeoutMs?: number;
  readonly maxConnectionDurationMs?: number;
  readonly bufferLimitBytes?: number;
  readonly preconnect?: { readonly perEndpointPercent?: number; readonly predictivePercent?: number };
  /** DNS resolution of backends given by name (ExternalName Services, FQDN Backends). */
  readonly dns?: {
    readonly refreshRateMs?: number;
    readonly respectTtl?: boolean;
    readonly lookupFamily?: 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'AUTO' | 'ALL';
  };
  readonly http2?: {
    readonly initialStreamWindowSize?: number;
    readonly initialConnectionWindowSize?: number;
    readonly maxConcurrentStreams?: number;
    readonly terminateStreamOnInvalidMessage?: boolean;
  };
  /** Speak to the backend in the protocol the client used. */
  readonly useClientProtocol?: boolean;
}

export interface BackendTrafficIR {
  /** The policy in force (for a merged policy, the route's). */
  readonly policy: ResourceKey;
  /** The Gateway- or listener-level policy it was merged into (mergeType). */
  readonly mergedInto?: ResourceKey;
  readonly rateLimit?: {
    readonly global: readonly RateLimitRuleIR[];
    readonly local: readonly RateLimitRuleIR[];
  };
  readonly retry?: RetryIR;
  readonly timeout?: {
    readonly requestMs?: number;
    readonly streamIdleMs?: number;
    readonly maxStreamDurationMs?: number;
  };
  readonly faultInjection?: FaultInjectionIR;
  readonly responseOverrides?: readonly ResponseOverrideIR[];
  readonly cluster?: ClusterTrafficIR;
}
