// QuotaPolicy (Envoy AI Gateway v1alpha1): token quotas per AIServiceBackend (and per model), enforced by Envoy's
// rate limit service with the costs the ext_proc service reports. This controller does not configure a rate limit
// service for AI backends, so a QuotaPolicy targeting a backend our routes use is refused by name in its status:
// its quotas are not enforced, and the status says so rather than leaving it looking accepted.

import { AI_GATEWAY_GROUP, type QuotaPolicy } from '../resources/ai-gateway.ts';
import { formatResourceKey, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import type { Problem } from './statuses.ts';

/** The QuotaPolicies of a namespace that target one of `backends` (AIServiceBackends our routes use). */
export function quotaPoliciesOf(backends: readonly ResourceKey[], view: ResourceView): QuotaPolicy[] {
  const used = new Set(backends.map(formatResourceKey));
  const namespaces = new Set(backends.map((key) => key.namespace ?? ''));
  const out: QuotaPolicy[] = [];
  for (const namespace of namespaces) {
    for (const policy of view.list('QuotaPolicy', namespace) as QuotaPolicy[]) {
      const targets = asArray<{ group?: string; kind?: string; name?: string }>(policy.spec?.targetRefs);
      const hits = targets.some(
        (target) =>
          target?.group === AI_GATEWAY_GROUP &&
          target?.kind === 'AIServiceBackend' &&
          typeof target.name === 'string' &&
          used.has(
            formatResourceKey(resourceKey(AI_GATEWAY_GROUP, 'AIServiceBackend', namespace, target.name)),
          ),
      );
      if (hits) out.push(policy);
    }
  }
  return out;
}

export function quotaPolicyProblem(policy: QuotaPolicy): Problem {
  const targets = asArray<{ name?: string }>(policy.spec?.targetRefs)
    .map((target) => target?.name)
    .filter((name): name is string => typeof name === 'string');
  return {
    reason: 'Unsupported',
    message: `QuotaPolicy is not supported by this controller: token quotas need a rate limit service it does not configure for AI backends, so requests to ${targets.join(', ')} are not limited by it`,
  };
}
