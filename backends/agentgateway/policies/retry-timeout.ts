// Timeouts and retries of a rule: the HTTPRoute's own `timeouts` and `retry`, completed by its
// BackendTrafficPolicy's (the HTTPRoute's win, as in Envoy Gateway and the Envoy backend) → agentgateway's
// `timeout` (`request`, `backendRequest` = a retry's per-try timeout) and `retry` (`attempts` = retries after the
// first try, the status codes retried, one fixed `backoff`). agentgateway always retries a connection that fails
// or resets; Envoy's retryOn conditions become the status codes they name, and gRPC conditions, the maximum
// backoff interval and stream timeouts, which agentgateway has no field for, are named.
import type { RuleIR } from '../../../model/ir/gateway-ir.ts';
import type { BackendTrafficIR, RetryIR } from '../../../model/ir/traffic-policies.ts';
import type { Json } from '../types.ts';
import type { FamilyOutput, Unsupported } from './context.ts';
import { duration } from './duration.ts';

/** Status codes each HTTP retryOn condition stands for; connection conditions need none (always retried). */
const CONDITION_CODES: Readonly<Record<string, readonly number[]>> = {
  '5xx': Array.from({ length: 100 }, (_, i) => 500 + i),
  'gateway-error': [502, 503, 504],
  'retriable-4xx': [409],
  'connect-failure': [],
  reset: [],
  'reset-before-request': [],
  'refused-stream': [],
  'retriable-status-codes': [],
};

export function timingPolicies(rule: RuleIR): FamilyOutput {
  const traffic = rule.policies?.traffic;
  const unsupported: Unsupported[] = [];
  const refuse = (field: string, why: string) =>
    traffic !== undefined &&
    unsupported.push({ policy: traffic.policy, kind: 'BackendTrafficPolicy', field, why });
  const out: Json[] = [];
  const requestMs = rule.timeouts?.requestMs ?? traffic?.timeout?.requestMs;
  const backendRequestMs =
    rule.timeouts?.backendRequestMs ??
    (rule.retry === undefined ? traffic?.retry?.perTryTimeoutMs : undefined);
  const timeout: Json = {
    ...(requestMs !== undefined && requestMs > 0 ? { request: duration(requestMs) } : {}),
    ...(backendRequestMs !== undefined && backendRequestMs > 0
      ? { backendRequest: duration(backendRequestMs) }
      : {}),
  };
  if (Object.keys(timeout).length > 0) out.push({ timeout });
  if (traffic?.timeout?.streamIdleMs !== undefined)
    refuse('spec.timeout.http.streamIdleTimeout', 'agentgateway has no stream idle timeout per route');
  if (traffic?.timeout?.maxStreamDurationMs !== undefined)
    refuse('spec.timeout.http.maxStreamDuration', 'agentgateway has no maximum stream duration per route');
  if (rule.retry !== undefined) {
    // agentgateway reads 0 attempts as 1: a rule that asks for no retries gets no retry policy.
    if (rule.retry.attempts !== 0)
      out.push({
        retry: {
          ...(rule.retry.codes.length > 0 ? { retryStatusCodes: [...rule.retry.codes] } : {}),
          ...(rule.retry.attempts === undefined ? {} : { attempts: rule.retry.attempts }),
          ...(rule.retry.backoffMs !== undefined && rule.retry.backoffMs > 0
            ? { backoff: duration(rule.retry.backoffMs) }
            : {}),
        },
      });
  } else if (traffic?.retry !== undefined) {
    const retry = policyRetry(traffic, traffic.retry, refuse);
    if (retry !== undefined) out.push({ retry });
  }
  return { traffic: out, unsupported };
}

function policyRetry(
  _traffic: BackendTrafficIR,
  retry: RetryIR,
  refuse: (field: string, why: string) => void,
): Json | undefined {
  const codes = new Set<number>();
  for (const condition of retry.retryOn) {
    const named = CONDITION_CODES[condition];
    if (named === undefined) {
      refuse(
        'spec.retry.retryOn.triggers',
        `${condition}: agentgateway retries on status codes and connection failures only`,
      );
      return undefined;
    }
    for (const code of named) codes.add(code);
  }
  if (retry.retryOn.includes('retriable-status-codes') || retry.retryOn.length === 0)
    for (const code of retry.retriableStatusCodes) codes.add(code);
  if (retry.backoff?.maxIntervalMs !== undefined) {
    refuse('spec.retry.perRetry.backOff.maxInterval', 'agentgateway waits one fixed backoff between tries');
    return undefined;
  }
  if (retry.numRetries === 0) return undefined;
  if (retry.numRetries > 255) {
    refuse('spec.retry.numRetries', 'agentgateway takes at most 255 retries');
    return undefined;
  }
  return {
    ...(codes.size > 0 ? { retryStatusCodes: [...codes].sort((a, b) => a - b) } : {}),
    attempts: retry.numRetries,
    ...(retry.backoff?.baseIntervalMs !== undefined && retry.backoff.baseIntervalMs > 0
      ? { backoff: duration(retry.backoff.baseIntervalMs) }
      : {}),
  };
}
