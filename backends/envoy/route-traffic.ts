// A BackendTrafficPolicy's route settings on the route action of a rule's Envoy routes: retries and the request
// timeout (an HTTPRoute's own `retry` and `timeouts.request` win, as in Envoy Gateway), the stream idle timeout,
// the maximum stream duration, and the hash policy a consistent-hash cluster balances on.
import type { RuleIR } from '../../model/ir/gateway-ir.ts';
import type { ConsistentHashIR, RetryIR } from '../../model/ir/traffic-policies.ts';
import { protoDuration } from './duration.ts';
import type { Json } from './envoy-types.ts';

/** The route action fields of a rule: the HTTPRoute's own (`httpRoute`), completed by its traffic policy. */
export function trafficRouteActionFields(rule: RuleIR, httpRoute: Json): Json {
  const traffic = rule.policies?.traffic;
  if (traffic === undefined) return httpRoute;
  const out: Json = { ...httpRoute };
  const timeout = traffic.timeout;
  if (timeout?.requestMs !== undefined && rule.timeouts?.requestMs === undefined && out.timeout === undefined)
    out.timeout = protoDuration(timeout.requestMs);
  if (timeout?.streamIdleMs !== undefined) out.idleTimeout = protoDuration(timeout.streamIdleMs);
  if (timeout?.maxStreamDurationMs !== undefined)
    out.maxStreamDuration = { maxStreamDuration: protoDuration(timeout.maxStreamDurationMs) };
  if (traffic.retry !== undefined && rule.retry === undefined) {
    const perTry = (out.retryPolicy as Json | undefined)?.perTryTimeout;
    out.retryPolicy = retryPolicy(traffic.retry, perTry as string | undefined);
  }
  const hash = traffic.cluster?.loadBalancer?.consistentHash?.hash;
  if (hash !== undefined) out.hashPolicy = hashPolicy(hash);
  return out;
}

function retryPolicy(retry: RetryIR, httpRoutePerTry: string | undefined): Json {
  const perTry = retry.perTryTimeoutMs === undefined ? httpRoutePerTry : protoDuration(retry.perTryTimeoutMs);
  const http = retry.retryOn.filter((trigger) => !GRPC_TRIGGERS.has(trigger));
  const grpc = retry.retryOn.filter((trigger) => GRPC_TRIGGERS.has(trigger));
  return {
    // Envoy takes HTTP and gRPC conditions in one list.
    retryOn: [...http, ...grpc].join(','),
    numRetries: retry.numRetries,
    ...(retry.retriableStatusCodes.length === 0
      ? {}
      : { retriableStatusCodes: [...retry.retriableStatusCodes] }),
    ...(perTry === undefined ? {} : { perTryTimeout: perTry }),
    ...(retry.backoff === undefined
      ? {}
      : {
          retryBackOff: {
            baseInterval: protoDuration(retry.backoff.baseIntervalMs ?? 25),
            ...(retry.backoff.maxIntervalMs === undefined
              ? {}
              : { maxInterval: protoDuration(retry.backoff.maxIntervalMs) }),
          },
        }),
    // A retry goes to another endpoint when there is one, as Envoy Gateway does.
    retryHostPredicate: [
      {
        name: 'envoy.retry_host_predicates.previous_hosts',
        typedConfig: {
          '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
        },
      },
    ],
    hostSelectionRetryMaxAttempts: '5',
  };
}

const GRPC_TRIGGERS = new Set([
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

function hashPolicy(hash: ConsistentHashIR): Json[] {
  switch (hash.kind) {
    case 'SourceIP':
      return [{ connectionProperties: { sourceIp: true } }];
    case 'Headers':
      return hash.names.map((headerName) => ({ header: { headerName } }));
    case 'QueryParams':
      return hash.names.map((name) => ({ queryParameter: { name } }));
    case 'Cookie':
      return [
        {
          cookie: {
            name: hash.name,
            ...(hash.ttlMs === undefined ? {} : { ttl: protoDuration(hash.ttlMs) }),
            ...(hash.attributes.length === 0 ? {} : { attributes: hash.attributes.map((a) => ({ ...a })) }),
          },
        },
      ];
  }
}
