// HTTPRoute rule timeouts and retries (GEP-1742, GEP-1731): validated here once, then carried by the IR in
// milliseconds so every backend reads the same numbers. `0s` disables a timeout, as the spec says.

import type { RuleRetry, RuleTimeouts } from '../ir/gateway-ir.ts';
import { parseGatewayDuration } from '../shared/durations.ts';

export interface RuleTiming {
  readonly timeouts?: RuleTimeouts;
  readonly retry?: RuleRetry;
}

interface RawTiming {
  readonly timeouts?: unknown;
  readonly retry?: unknown;
}

/** Why a rule's `timeouts` or `retry` cannot be honoured, naming the field; undefined when they are fine. */
export function ruleTimingProblem(rule: RawTiming, field: string): string | undefined {
  const result = readRuleTiming(rule, field);
  return 'problem' in result ? result.problem : undefined;
}

/** The rule's timeouts and retry in milliseconds; empty when absent or invalid (invalid rules are dropped). */
export function ruleTiming(rule: RawTiming): RuleTiming {
  const result = readRuleTiming(rule, 'rule');
  return 'problem' in result ? {} : result.timing;
}

function readRuleTiming(
  rule: RawTiming,
  field: string,
): { readonly timing: RuleTiming } | { readonly problem: string } {
  let timeouts: RuleTimeouts | undefined;
  if (rule.timeouts !== undefined && rule.timeouts !== null) {
    if (typeof rule.timeouts !== 'object') return { problem: `${field}.timeouts: must be an object` };
    const raw = rule.timeouts as { request?: unknown; backendRequest?: unknown };
    const request = optionalDuration(raw.request, `${field}.timeouts.request`);
    if (typeof request === 'string') return { problem: request };
    const backendRequest = optionalDuration(raw.backendRequest, `${field}.timeouts.backendRequest`);
    if (typeof backendRequest === 'string') return { problem: backendRequest };
    if (
      request !== undefined &&
      backendRequest !== undefined &&
      request.ms !== 0 &&
      backendRequest.ms > request.ms
    ) {
      return {
        problem: `${field}.timeouts.backendRequest: ${backendRequest.text} must not be longer than timeouts.request (${request.text})`,
      };
    }
    timeouts = {
      ...(request === undefined ? {} : { requestMs: request.ms }),
      ...(backendRequest === undefined ? {} : { backendRequestMs: backendRequest.ms }),
    };
  }
  let retry: RuleRetry | undefined;
  if (rule.retry !== undefined && rule.retry !== null) {
    if (typeof rule.retry !== 'object') return { problem: `${field}.retry: must be an object` };
    const raw = rule.retry as { codes?: unknown; attempts?: unknown; backoff?: unknown };
    const codes = raw.codes ?? [];
    if (!Array.isArray(codes)) return { problem: `${field}.retry.codes: must be a list of status codes` };
    for (const [i, code] of codes.entries()) {
      if (!Number.isInteger(code) || code < 400 || code > 599)
        return {
          problem: `${field}.retry.codes[${i}]: ${String(code)} is not a status code from 400 to 599`,
        };
    }
    if (
      raw.attempts !== undefined &&
      raw.attempts !== null &&
      (!Number.isInteger(raw.attempts) || (raw.attempts as number) < 0)
    ) {
      return { problem: `${field}.retry.attempts: ${String(raw.attempts)} must be a whole number ≥ 0` };
    }
    const backoff = optionalDuration(raw.backoff, `${field}.retry.backoff`);
    if (typeof backoff === 'string') return { problem: backoff };
    retry = {
      codes: [...new Set(codes as number[])].sort((a, b) => a - b),
      ...(typeof raw.attempts === 'number' ? { attempts: raw.attempts } : {}),
      ...(backoff === undefined ? {} : { backoffMs: backoff.ms }),
    };
  }
  return {
    timing: {
      ...(timeouts === undefined || Object.keys(timeouts).length === 0 ? {} : { timeouts }),
      ...(retry === undefined ? {} : { retry }),
    },
  };
}

function optionalDuration(
  value: unknown,
  field: string,
): { readonly ms: number; readonly text: string } | string | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = parseGatewayDuration(value);
  if (ms === undefined)
    return `${field}: ${JSON.stringify(value)} is not a Gateway API duration (e.g. 500ms, 10s, 1m30s)`;
  return { ms, text: value as string };
}
