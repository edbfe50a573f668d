// Global rate limits (BackendTrafficPolicy `rateLimit.global`): Envoy's ratelimit filter asks the rate limit
// service (github.com/envoyproxy/ratelimit, counters in Redis, shared by every Envoy replica) about each request
// of a rule with global limits; the rule's rate limits (rate-limit-descriptors.ts, in the filter's per-route
// config) make the descriptors and their costs, and the same rules become the service's configuration
// (EnvoyResources.rateLimitDescriptors, served to the service over xDS). X-RateLimit-* headers are on (draft 03)
// unless a rule turns them off. When the service
// cannot answer, requests pass unless the controller runs with --ratelimit-fail-closed. Without a configured
// service, requests to routes with global limits are refused (500): a limit is never silently dropped.
import type { RateLimitRuleIR } from '../../../model/ir/traffic-policies.ts';
import { protoDuration } from '../duration.ts';
import { type Json, TYPE } from '../envoy-types.ts';
import {
  GLOBAL_RATE_LIMIT_STAGE,
  RATE_LIMIT_DOMAIN,
  routeRateLimits,
  serviceDescriptors,
} from './rate-limit-descriptors.ts';
import {
  type FilterContext,
  type HttpFilter,
  type RateLimitServiceOptions,
  type ServedRule,
  typed,
} from './registry.ts';

const RATE_LIMIT_FILTER = 'envoy.filters.http.ratelimit';
const RATE_LIMIT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit';
const RATE_LIMIT_PER_ROUTE_TYPE =
  'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute';
export const RATE_LIMIT_SERVICE_CLUSTER = 'switchyard/ratelimit';
const DEFAULT_TIMEOUT_MS = 1_000;

function globalRules(served: ServedRule): readonly RateLimitRuleIR[] {
  if (served.rule.policies?.denied !== undefined) return [];
  return served.rule.policies?.traffic?.rateLimit?.global ?? [];
}

export const rateLimitFilter: HttpFilter = {
  name: 'ratelimit',
  chainFilters(rules, context) {
    const limited = rules.filter((served) => globalRules(served).length > 0);
    if (limited.length === 0) return [];
    for (const served of limited) {
      for (const descriptor of serviceDescriptors(globalRules(served), served))
        context.rateLimitDescriptors.set(String(descriptor.value), descriptor);
    }
    const service = context.rateLimitService;
    if (service === undefined)
      context.problems.push(
        'global rate limits need the rate limit service (controller --ratelimit-address): requests to the routes that have them are refused',
      );
    return [
      {
        name: RATE_LIMIT_FILTER,
        typedConfig: typed(RATE_LIMIT_TYPE, {
          domain: RATE_LIMIT_DOMAIN,
          stage: GLOBAL_RATE_LIMIT_STAGE,
          // Without a service every call fails: fail closed then, whatever the option says.
          failureModeDeny: service === undefined || service.failClosed === true,
          timeout: protoDuration(service?.timeoutMs ?? DEFAULT_TIMEOUT_MS),
          enableXRatelimitHeaders: 'DRAFT_VERSION_03',
          disableXEnvoyRatelimitedHeader: true,
          rateLimitService: {
            grpcService: {
              envoyGrpc: {
                clusterName:
                  service === undefined
                    ? context.clusters.blackhole()
                    : rateLimitServiceCluster(service, context),
              },
            },
            transportApiVersion: 'V3',
          },
        }),
      },
    ];
  },
  // The rule's rate limits go in the filter's per-route config (RateLimitPerRoute.rate_limits), not the route
  // action's: Envoy sends a cost (hits_addend) to the service only from there.
  routeConfig(served) {
    const rules = globalRules(served);
    if (rules.length === 0) return {};
    return {
      [RATE_LIMIT_FILTER]: typed(RATE_LIMIT_PER_ROUTE_TYPE, {
        rateLimits: routeRateLimits(rules, served, GLOBAL_RATE_LIMIT_STAGE),
      }),
    };
  },
};

function rateLimitServiceCluster(service: RateLimitServiceOptions, context: FilterContext): string {
  if (!context.extraClusters.has(RATE_LIMIT_SERVICE_CLUSTER))
    context.extraClusters.set(RATE_LIMIT_SERVICE_CLUSTER, serviceCluster(service.address));
  return RATE_LIMIT_SERVICE_CLUSTER;
}

function serviceCluster(address: string): Json {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  const literal = /^[0-9.]+$/.test(host) || host.includes(':');
  return {
    name: RATE_LIMIT_SERVICE_CLUSTER,
    type: literal ? 'STATIC' : 'STRICT_DNS',
    connectTimeout: '5s',
    loadAssignment: {
      clusterName: RATE_LIMIT_SERVICE_CLUSTER,
      endpoints: [
        { lbEndpoints: [{ endpoint: { address: { socketAddress: { address: host, portValue: port } } } }] },
      ],
    },
    typedExtensionProtocolOptions: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': TYPE.httpProtocolOptions,
        explicitHttpConfig: { http2ProtocolOptions: {} },
      },
    },
  };
}
