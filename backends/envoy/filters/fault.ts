// Fault injection (BackendTrafficPolicy `faultInjection`): Envoy's fault filter, inert in the chain, given each
// rule's delay and abort (HTTP or gRPC status) with the share of requests they hit.
import type { FaultInjectionIR } from '../../../model/ir/traffic-policies.ts';
import { protoDuration } from '../duration.ts';
import type { Json } from '../envoy-types.ts';
import { type HttpFilter, type ServedRule, typed } from './registry.ts';

const FAULT_FILTER = 'envoy.filters.http.fault';
const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

function faultOf(served: ServedRule): FaultInjectionIR | undefined {
  return served.rule.policies?.denied === undefined
    ? served.rule.policies?.traffic?.faultInjection
    : undefined;
}

/** A percentage (0–100, to 0.0001 %) as a FractionalPercent per million. */
function share(percentage: number): Json {
  return { numerator: Math.round(percentage * 10_000), denominator: 'MILLION' };
}

export const faultFilter: HttpFilter = {
  name: 'fault',
  chainFilters(rules) {
    return rules.some((served) => faultOf(served) !== undefined)
      ? [{ name: FAULT_FILTER, typedConfig: typed(FAULT_TYPE, {}) }]
      : [];
  },
  routeConfig(served) {
    const fault = faultOf(served);
    if (fault === undefined) return {};
    const abort = fault.abort;
    return {
      [FAULT_FILTER]: typed(FAULT_TYPE, {
        ...(fault.delay === undefined
          ? {}
          : {
              delay: {
                fixedDelay: protoDuration(fault.delay.fixedDelayMs),
                percentage: share(fault.delay.percentage),
              },
            }),
        ...(abort === undefined
          ? {}
          : {
              abort: {
                ...('httpStatus' in abort
                  ? { httpStatus: abort.httpStatus }
                  : { grpcStatus: abort.grpcStatus }),
                percentage: share(abort.percentage),
              },
            }),
      }),
    };
  },
};
