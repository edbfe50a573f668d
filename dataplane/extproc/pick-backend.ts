// The backend of a rule whose backends share one priority: a weighted choice made by this service.
import type { RoutingRule, WeightedBackend } from './config.ts';

/** Weighted choice, deterministic per request id (Envoy's x-request-id is random, so load spreads). */
export function pickBackend(rule: RoutingRule, requestId: string): WeightedBackend {
  if (rule.backends.length === 1) return rule.backends[0]!;
  const total = rule.backends.reduce((sum, backend) => sum + backend.weight, 0);
  let hash = 2166136261;
  for (let i = 0; i < requestId.length; i++) hash = Math.imul(hash ^ requestId.charCodeAt(i), 16777619) >>> 0;
  let point = total === 0 ? 0 : hash % total;
  for (const backend of rule.backends) {
    if (point < backend.weight) return backend;
    point -= backend.weight;
  }
  return rule.backends[0]!;
}
