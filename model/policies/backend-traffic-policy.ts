// BackendTrafficPolicy (gateway.envoyproxy.io/v1alpha1) → the IR's BackendTrafficIR on the route rules it reaches
// (a Gateway, a listener by sectionName, a ListenerSet, a route or a route rule): rate limits
// (traffic-rate-limits.ts), retries, timeouts, fault injection, response overrides, and the cluster settings
// (traffic-cluster-settings.ts). A route-level policy with mergeType is merged into the closest parent policy
// (traffic-merge.ts). A field Switchyard does not support is refused by name, and then — as Envoy Gateway does
// with a policy it cannot translate — the targeted routes answer 500 rather than run without the policy.
import type {
  BackendTrafficIR,
  FaultInjectionIR,
  ResponseOverrideIR,
  RetryIR,
} from '../ir/traffic-policies.ts';
import type {
  BackendTrafficPolicy,
  BackendTrafficPolicySpec,
  ResponseOverrideSpec,
} from '../resources/backend-traffic-policy.ts';
import { keyOf, type ResourceKey } from '../resources/resource-key.ts';
import { parseGatewayDuration } from '../shared/durations.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { invalid, type PolicyKindRules, type PolicyVerdict } from './attachment.ts';
import { configMapValue, failure, type Resolved } from './policy-backends.ts';
import { TRAFFIC_FRAGMENTS } from './shared-fragments.ts';
import { clusterSettingsOf } from './traffic-cluster-settings.ts';
import { mergeTrafficPolicies } from './traffic-merge.ts';
import { rateLimitsOf } from './traffic-rate-limits.ts';

export const backendTrafficPolicyRules: PolicyKindRules<BackendTrafficIR> = {
  kind: 'BackendTrafficPolicy',
  targetKinds: [
    'Gateway',
    'ListenerSet',
    'HTTPRoute',
    'GRPCRoute',
    'TCPRoute',
    'UDPRoute',
    'TLSRoute',
    'AIGatewayRoute',
  ],
  scope: 'rule',
  evaluate: (policy, view) => evaluateBackendTrafficPolicy(policy as BackendTrafficPolicy, view),
  merges: (policy) => (policy as BackendTrafficPolicy).spec?.mergeType !== undefined,
  merge: (child, parent, view) =>
    mergeTrafficPolicies(child as BackendTrafficPolicy, parent as BackendTrafficPolicy, view, trafficIROf),
  explainProblem: explainSeedField,
};

/** Fields Switchyard does not enforce (refused by name when set). */
const UNSUPPORTED: readonly string[] = [
  'bandwidthLimit',
  'admissionControl',
  'compression',
  'compressor',
  'httpUpgrade',
  'requestBuffer',
  'telemetry',
  'loadBalancer.backendUtilization',
  'loadBalancer.dynamicModule',
  'loadBalancer.endpointOverride',
  'loadBalancer.zoneAware',
  'retry.numAttemptsPerPriority',
];

/**
 * Fields the seed documents (and some blog posts) give BackendTrafficPolicy that Envoy Gateway never had: the
 * message says what to write instead (docs/policies.md, "Token budgets").
 */
const SEED_FIELDS: Readonly<Record<string, string>> = {
  tokenBudget:
    'token budgets are global rate limit rules whose cost is the token usage: rateLimit.global.rules[] with cost.request {from: Number, number: 0} and cost.response {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: <the AIGatewayRoute llmRequestCosts metadataKey>}} (docs/policies.md, "Token budgets")',
  modelCosts:
    'per-model weights are the AIGatewayRoute llmRequestCosts with type CEL (e.g. "model == \'gpt-4\' ? total_tokens * 10 : total_tokens"), read by a rate limit rule\'s cost.response (docs/policies.md, "Token budgets")',
  userIdentification:
    'budgets per user are rate limit clientSelectors: a header with type Distinct (x-user-id), or a JWT claim copied to a header by the SecurityPolicy jwt.providers[].claimToHeaders (docs/policies.md, "Token budgets")',
};

export function explainSeedField(problem: string): string {
  const match =
    /^spec\.(?:rateLimit\.)?(tokenBudget|modelCosts|userIdentification)(?:\.[^:]*)?: unknown field$/.exec(
      problem,
    );
  return match === null ? problem : `${problem}: Envoy Gateway has no such field; ${SEED_FIELDS[match[1]!]}`;
}

function valueAt(spec: unknown, path: string): unknown {
  let value: unknown = spec;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function evaluateBackendTrafficPolicy(
  policy: BackendTrafficPolicy,
  view: ResourceView,
): PolicyVerdict<BackendTrafficIR> {
  const spec = policy.spec ?? {};
  for (const path of UNSUPPORTED) {
    const value = valueAt(spec, path);
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0))
      return invalid(`spec.${path}: not supported by Switchyard; remove it`);
  }
  if (spec.routingType === 'Service')
    return invalid(
      'spec.routingType: Service is not supported by Switchyard (it routes to endpoints); remove it',
    );
  // One key for the IR and its rate limits' owner.
  const key = keyOf(policy);
  const rateLimit = rateLimitsOf(policy, key);
  if (!rateLimit.ok) return invalid(rateLimit.message);
  const ir = trafficIROf(policy, spec, view, key);
  if (!ir.ok) return invalid(ir.message);
  return {
    ok: true,
    ir: rateLimit.value === undefined ? ir.value : { ...ir.value, rateLimit: rateLimit.value },
  };
}

/** Everything but the rate limits (which keep their owners through a merge: traffic-merge.ts). */
export function trafficIROf(
  policy: BackendTrafficPolicy,
  spec: BackendTrafficPolicySpec,
  view: ResourceView,
  key: ResourceKey = keyOf(policy),
): Resolved<BackendTrafficIR> {
  // The settings many policies write alike are one object for all of them (shared-fragments.ts).
  const ir: { -readonly [K in keyof BackendTrafficIR]: BackendTrafficIR[K] } = { policy: key };
  const retry = retryOf(spec);
  if (!retry.ok) return retry;
  if (retry.value !== undefined) ir.retry = TRAFFIC_FRAGMENTS.share(retry.value);
  const timeout = timeoutOf(spec);
  if (!timeout.ok) return timeout;
  if (timeout.value !== undefined) ir.timeout = TRAFFIC_FRAGMENTS.share(timeout.value);
  const fault = faultOf(spec);
  if (!fault.ok) return fault;
  if (fault.value !== undefined) ir.faultInjection = TRAFFIC_FRAGMENTS.share(fault.value);
  const overrides: ResponseOverrideIR[] = [];
  for (const [i, override] of (spec.responseOverride ?? []).entries()) {
    const parsed = responseOverrideOf(policy, override, view, `spec.responseOverride[${i}]`);
    if (!parsed.ok) return parsed;
    overrides.push(parsed.value);
  }
  if (overrides.length > 0) ir.responseOverrides = overrides;
  const cluster = clusterSettingsOf(spec);
  if (!cluster.ok) return cluster;
  if (cluster.value !== undefined) ir.cluster = TRAFFIC_FRAGMENTS.share(cluster.value);
  return { ok: true, value: ir };
}

function duration(value: string | undefined, field: string): Resolved<number | undefined> {
  if (value === undefined) return { ok: true, value: undefined };
  const parsed = parseGatewayDuration(value);
  return parsed === undefined
    ? failure(`${field}: "${value}" is not a duration`)
    : { ok: true, value: parsed };
}

const HTTP_TRIGGERS = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
]);
const GRPC_TRIGGERS = new Set([
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

/** Envoy Gateway's retry defaults: 2 retries on connection failures, refused streams, gRPC unavailable/cancelled and 503. */
function retryOf(spec: BackendTrafficPolicySpec): Resolved<RetryIR | undefined> {
  const retry = spec.retry;
  if (retry === undefined || retry === null) return { ok: true, value: undefined };
  const triggers = retry.retryOn?.triggers;
  for (const [i, trigger] of (triggers ?? []).entries()) {
    if (!HTTP_TRIGGERS.has(trigger) && !GRPC_TRIGGERS.has(trigger))
      return failure(`spec.retry.retryOn.triggers[${i}]: "${trigger}" is not a retry trigger`);
  }
  const perTry = duration(retry.perRetry?.timeout, 'spec.retry.perRetry.timeout');
  if (!perTry.ok) return perTry;
  const base = duration(retry.perRetry?.backOff?.baseInterval, 'spec.retry.perRetry.backOff.baseInterval');
  if (!base.ok) return base;
  const max = duration(retry.perRetry?.backOff?.maxInterval, 'spec.retry.perRetry.backOff.maxInterval');
  if (!max.ok) return max;
  if (base.value !== undefined && max.value !== undefined && max.value < base.value)
    return failure('spec.retry.perRetry.backOff.maxInterval: must not be shorter than baseInterval');
  return {
    ok: true,
    value: {
      numRetries: retry.numRetries ?? 2,
      retryOn:
        triggers === undefined || triggers.length === 0
          ? ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes']
          : [...triggers],
      retriableStatusCodes: retry.retryOn === undefined ? [503] : [...(retry.retryOn.httpStatusCodes ?? [])],
      ...(perTry.value === undefined ? {} : { perTryTimeoutMs: perTry.value }),
      ...(base.value === undefined && max.value === undefined
        ? {}
        : {
            backoff: {
              ...(base.value === undefined ? {} : { baseIntervalMs: base.value }),
              ...(max.value === undefined ? {} : { maxIntervalMs: max.value }),
            },
          }),
    },
  };
}

function timeoutOf(spec: BackendTrafficPolicySpec): Resolved<BackendTrafficIR['timeout']> {
  const http = spec.timeout?.http;
  if (http === undefined) return { ok: true, value: undefined };
  const request = duration(http.requestTimeout, 'spec.timeout.http.requestTimeout');
  if (!request.ok) return request;
  const idle = duration(http.streamIdleTimeout, 'spec.timeout.http.streamIdleTimeout');
  if (!idle.ok) return idle;
  const stream = duration(http.maxStreamDuration, 'spec.timeout.http.maxStreamDuration');
  if (!stream.ok) return stream;
  const out = {
    ...(request.value === undefined ? {} : { requestMs: request.value }),
    ...(idle.value === undefined ? {} : { streamIdleMs: idle.value }),
    ...(stream.value === undefined ? {} : { maxStreamDurationMs: stream.value }),
  };
  return { ok: true, value: Object.keys(out).length === 0 ? undefined : out };
}

function faultOf(spec: BackendTrafficPolicySpec): Resolved<FaultInjectionIR | undefined> {
  const fault = spec.faultInjection;
  if (fault === undefined || fault === null) return { ok: true, value: undefined };
  if (fault.delay === undefined && fault.abort === undefined)
    return failure('spec.faultInjection: set delay, abort or both');
  const out: { -readonly [K in keyof FaultInjectionIR]: FaultInjectionIR[K] } = {};
  if (fault.delay !== undefined) {
    const fixed = duration(fault.delay.fixedDelay, 'spec.faultInjection.delay.fixedDelay');
    if (!fixed.ok) return fixed;
    if (fixed.value === undefined) return failure('spec.faultInjection.delay.fixedDelay: required');
    out.delay = { fixedDelayMs: fixed.value, percentage: fault.delay.percentage ?? 100 };
  }
  const abort = fault.abort;
  if (abort !== undefined) {
    const percentage = abort.percentage ?? 100;
    if (abort.httpStatus !== undefined && abort.grpcStatus !== undefined)
      return failure('spec.faultInjection.abort: set httpStatus or grpcStatus, not both');
    if (abort.httpStatus !== undefined) out.abort = { httpStatus: abort.httpStatus, percentage };
    else if (abort.grpcStatus !== undefined) out.abort = { grpcStatus: abort.grpcStatus, percentage };
    else return failure('spec.faultInjection.abort: set httpStatus or grpcStatus');
  }
  return { ok: true, value: out };
}

function responseOverrideOf(
  policy: BackendTrafficPolicy,
  override: ResponseOverrideSpec,
  view: ResourceView,
  field: string,
): Resolved<ResponseOverrideIR> {
  if (override.redirect !== undefined)
    return failure(`${field}.redirect: not supported by Switchyard; remove it`);
  if ((override.match?.responseHeaders?.length ?? 0) > 0)
    return failure(`${field}.match.responseHeaders: not supported by Switchyard; match on statusCodes`);
  if (override.source !== undefined && override.source !== 'All')
    return failure(`${field}.source: only All is supported by Switchyard`);
  const statusCodes: ResponseOverrideIR['statusCodes'][number][] = [];
  for (const [i, match] of (override.match?.statusCodes ?? []).entries()) {
    const at = `${field}.match.statusCodes[${i}]`;
    if ((match?.type ?? 'Value') === 'Value') {
      if (typeof match?.value !== 'number') return failure(`${at}.value: required with type Value`);
      statusCodes.push({ value: match.value });
    } else {
      const start = match.range?.start;
      const end = match.range?.end;
      if (typeof start !== 'number' || typeof end !== 'number' || end <= start)
        return failure(`${at}.range: start and end are required, end greater than start`);
      statusCodes.push({ start, end });
    }
  }
  if (statusCodes.length === 0) return failure(`${field}.match.statusCodes: at least one`);
  const response = override.response;
  if (response === undefined) return failure(`${field}.response: required`);
  let body: string | undefined;
  if (response.body !== undefined) {
    if ((response.body.type ?? 'Inline') === 'Inline') {
      if (typeof response.body.inline !== 'string')
        return failure(`${field}.response.body.inline: required with type Inline`);
      body = response.body.inline;
    } else {
      const ref = response.body.valueRef;
      if (ref?.kind !== 'ConfigMap' || typeof ref.name !== 'string')
        return failure(`${field}.response.body.valueRef: a ConfigMap is required with type ValueRef`);
      const value = configMapValue(
        policy,
        ref.name,
        'response.body',
        view,
        `${field}.response.body.valueRef`,
        true,
      );
      if (!value.ok) return value;
      body = value.value;
    }
  }
  if ((response.header?.remove?.length ?? 0) > 0)
    return failure(`${field}.response.header.remove: not supported for a response override; remove it`);
  const headers = [
    ...(response.header?.set ?? []).map((h) => ({
      name: String(h?.name),
      value: String(h?.value),
      append: false,
    })),
    ...(response.header?.add ?? []).map((h) => ({
      name: String(h?.name),
      value: String(h?.value),
      append: true,
    })),
  ];
  return {
    ok: true,
    value: {
      statusCodes,
      response: {
        ...(response.contentType === undefined ? {} : { contentType: response.contentType }),
        ...(body === undefined ? {} : { body }),
        ...(response.statusCode === undefined ? {} : { statusCode: response.statusCode }),
        headers,
      },
    },
  };
}
