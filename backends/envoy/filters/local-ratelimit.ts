// Local rate limits (BackendTrafficPolicy `rateLimit.local`): Envoy's local_ratelimit filter counts in each Envoy
// on its own. The chain's filter is inert; a rule's routes carry their buckets (one token bucket per rule, its
// descriptor made by the route's stage-1 rate limit actions) and X-RateLimit-* headers (draft 03).
import type { RateLimitRuleIR } from '../../../model/ir/traffic-policies.ts';
import { LOCAL_RATE_LIMIT_STAGE, localDescriptors, routeRateLimits } from './rate-limit-descriptors.ts';
import { type HttpFilter, type ServedRule, typed } from './registry.ts';

const LOCAL_RATE_LIMIT_FILTER = 'envoy.filters.http.local_ratelimit';
const LOCAL_RATE_LIMIT_TYPE =
  'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const STAT_PREFIX = 'local_ratelimit';
const ALL = { defaultValue: { numerator: 100, denominator: 'HUNDRED' } };
/** Requests no rule selects are not limited: the route's default bucket never runs dry. */
const UNLIMITED = { maxTokens: 4294967295, tokensPerFill: 4294967295, fillInterval: '1s' };

function localRules(served: ServedRule): readonly RateLimitRuleIR[] {
  if (served.rule.policies?.denied !== undefined) return [];
  return served.rule.policies?.traffic?.rateLimit?.local ?? [];
}

export const localRateLimitFilter: HttpFilter = {
  name: 'local-ratelimit',
  chainFilters(rules) {
    if (!rules.some((served) => localRules(served).length > 0)) return [];
    return [
      {
        name: LOCAL_RATE_LIMIT_FILTER,
        typedConfig: typed(LOCAL_RATE_LIMIT_TYPE, { statPrefix: STAT_PREFIX }),
      },
    ];
  },
  routeConfig(served) {
    const rules = localRules(served);
    if (rules.length === 0) return {};
    return {
      [LOCAL_RATE_LIMIT_FILTER]: typed(LOCAL_RATE_LIMIT_TYPE, {
        statPrefix: STAT_PREFIX,
        stage: LOCAL_RATE_LIMIT_STAGE,
        tokenBucket: UNLIMITED,
        filterEnabled: ALL,
        filterEnforced: ALL,
        descriptors: localDescriptors(rules, served),
        alwaysConsumeDefaultTokenBucket: false,
        enableXRatelimitHeaders: 'DRAFT_VERSION_03',
      }),
    };
  },
  routeAction(served) {
    const rules = localRules(served);
    return rules.length === 0 ? {} : { rateLimits: routeRateLimits(rules, served, LOCAL_RATE_LIMIT_STAGE) };
  },
};
