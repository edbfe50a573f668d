// BackendTrafficPolicy `rateLimit.local` → agentgateway's `localRateLimit` traffic policy: a token bucket of
// `requests` refilled with `requests` every `unit`, counted by each proxy on its own, per Route (one listener and
// route rule), as Envoy's local rate limit counts per route. agentgateway's local limit has no selectors and no
// cost: a rule with client selectors, a cost, or shared across routes, several local rules, and global rules
// (the rate limit service's configuration is built for Envoy Gateways) are named, and the rule fails closed.
import type { BackendTrafficIR, RateLimitRuleIR } from '../../../model/ir/traffic-policies.ts';
import { RATE_LIMIT_UNIT_MILLIS } from '../../shared/rate-limit-units.ts';
import type { FamilyOutput, Unsupported } from './context.ts';
import { duration } from './duration.ts';

export function rateLimitPolicies(traffic: BackendTrafficIR): FamilyOutput {
  const limits = traffic.rateLimit;
  if (limits === undefined) return {};
  const unsupported: Unsupported[] = [];
  const refuse = (rule: RateLimitRuleIR | undefined, field: string, why: string) =>
    unsupported.push({ policy: rule?.owner ?? traffic.policy, kind: 'BackendTrafficPolicy', field, why });
  if (limits.global.length > 0)
    refuse(
      limits.global[0],
      'spec.rateLimit.global',
      "Switchyard configures its rate limit service for Envoy Gateways' descriptors only",
    );
  if (limits.local.length > 1)
    refuse(
      limits.local[1],
      'spec.rateLimit.local.rules',
      `${limits.local.length} rules; agentgateway counts one local limit per route`,
    );
  const rule = limits.local[0];
  if (rule === undefined || unsupported.length > 0) return { unsupported };
  const field = `spec.rateLimit.local.rules[${rule.index}]`;
  const selector = rule.selector;
  if (
    selector.headers.length > 0 ||
    selector.methods.length > 0 ||
    selector.queryParams.length > 0 ||
    selector.path !== undefined ||
    selector.sourceCIDR !== undefined
  )
    refuse(rule, `${field}.clientSelectors`, "agentgateway's local limit counts every request of the route");
  if (
    rule.requestCost !== undefined &&
    !(rule.requestCost.kind === 'Number' && rule.requestCost.number === 1)
  )
    refuse(rule, `${field}.cost`, 'agentgateway counts one token per request');
  if (rule.shared) refuse(rule, `${field}.shared`, "agentgateway's local buckets are per route");
  if (unsupported.length > 0) return { unsupported };
  return {
    traffic: [
      {
        localRateLimit: {
          maxTokens: String(rule.requests),
          tokensPerFill: String(rule.requests),
          fillInterval: duration(RATE_LIMIT_UNIT_MILLIS[rule.unit]),
          type: 'REQUEST',
        },
      },
    ],
  };
}
