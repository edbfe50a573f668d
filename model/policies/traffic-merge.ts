// Envoy Gateway's mergeType for BackendTrafficPolicy: a route-level policy with mergeType set is merged into the
// closest parent policy in force for the route's listener (the listener's, else its ListenerSet's, else the
// Gateway's). The route's values win; objects merge field by field. Rate limit rules keep the policy they come
// from, so a parent's rule counts in the parent's buckets wherever it is merged in:
// - StrategicMerge: the parent's rules and the route's are both enforced;
// - JSONMerge (RFC 7396): a `global` or `local` block the route sets replaces the parent's, lists are replaced.
// Without a parent policy the route's policy applies alone.
import type { BackendTrafficIR } from '../ir/traffic-policies.ts';
import type { BackendTrafficPolicy, BackendTrafficPolicySpec } from '../resources/backend-traffic-policy.ts';
import { keyOf } from '../resources/resource-key.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { invalid, type PolicyVerdict } from './attachment.ts';
import type { Resolved } from './policy-backends.ts';
import { rateLimitsOf } from './traffic-rate-limits.ts';

/** Fields that are not traffic settings: never merged. */
const NOT_MERGED = new Set(['targetRef', 'targetRefs', 'targetSelectors', 'mergeType', 'rateLimit']);

type TrafficIROf = (
  policy: BackendTrafficPolicy,
  spec: BackendTrafficPolicySpec,
  view: ResourceView,
) => Resolved<BackendTrafficIR>;

export function mergeTrafficPolicies(
  child: BackendTrafficPolicy,
  parent: BackendTrafficPolicy,
  view: ResourceView,
  trafficIROf: TrafficIROf,
): PolicyVerdict<BackendTrafficIR> {
  const childSpec = child.spec ?? {};
  const parentSpec = parent.spec ?? {};
  const merged = mergeObjects(
    withoutUnmerged(parentSpec),
    withoutUnmerged(childSpec),
  ) as BackendTrafficPolicySpec;
  const ir = trafficIROf(child, merged, view);
  if (!ir.ok)
    return invalid(`merged into ${parent.metadata.namespace ?? ''}/${parent.metadata.name}: ${ir.message}`);
  const own = rateLimitsOf(child);
  if (!own.ok) return invalid(own.message);
  const inherited = rateLimitsOf(parent);
  if (!inherited.ok) return invalid(inherited.message);
  const rules = (scope: 'global' | 'local') => {
    const mine = own.value?.[scope] ?? [];
    const theirs = inherited.value?.[scope] ?? [];
    if (childSpec.mergeType === 'JSONMerge')
      return childSpec.rateLimit?.[scope] !== undefined ? mine : theirs;
    return [...theirs, ...mine];
  };
  const global = rules('global');
  const local = rules('local');
  return {
    ok: true,
    ir: {
      ...ir.value,
      mergedInto: keyOf(parent),
      ...(global.length === 0 && local.length === 0 ? {} : { rateLimit: { global, local } }),
    },
  };
}

function withoutUnmerged(spec: BackendTrafficPolicySpec): Record<string, unknown> {
  return Object.fromEntries(Object.entries(spec).filter(([key]) => !NOT_MERGED.has(key)));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7396 merge of `patch` into `target`: objects merge, anything else (lists included) is replaced, null deletes. */
function mergeObjects(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key]))
      out[key] = mergeObjects(out[key] as Record<string, unknown>, value);
    else out[key] = value;
  }
  return out;
}
