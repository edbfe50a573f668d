// The length of a rate limit rule's unit (the IR's RateLimitUnitIR): the fill interval of a token bucket, whichever
// data plane counts it. A month is 30 days and a year 365, as Envoy Gateway's units are.
import type { RateLimitRuleIR } from '../../model/ir/traffic-policies.ts';

export const RATE_LIMIT_UNIT_MILLIS: Readonly<Record<RateLimitRuleIR['unit'], number>> = {
  Second: 1_000,
  Minute: 60_000,
  Hour: 3_600_000,
  Day: 86_400_000,
  Week: 604_800_000,
  Month: 2_592_000_000,
  Year: 31_536_000_000,
};
