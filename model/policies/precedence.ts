// GEP-713 precedence between policies of one kind (attachment.ts): which policy is in force on a target and
// section (the oldest of those targeting exactly it; the others are Conflicted), and how the policies targeting
// an object are found (the reference validator's reverse index, or a scan of the view).

import type { EnvoyGatewayPolicy, EnvoyGatewayPolicyKind } from '../resources/envoy-gateway-policies.ts';
import { ENVOY_GATEWAY_POLICY_KINDS } from '../resources/envoy-gateway-policies.ts';
import { formatResourceKey, type ResourceKey } from '../resources/resource-key.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { type PolicyTarget, policyTargets } from './policy-targets.ts';

/** Oldest first (objects without a creationTimestamp count as newest), then namespace/name. */
export function comparePolicyAge(a: EnvoyGatewayPolicy, b: EnvoyGatewayPolicy): number {
  const ta = a.metadata?.creationTimestamp ?? '~';
  const tb = b.metadata?.creationTimestamp ?? '~';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Finds the policies (of any kind) that target an object: the validator's reverse index, or a scan. */
export type PolicyLookup = (target: ResourceKey) => readonly EnvoyGatewayPolicy[];

/** A PolicyLookup that scans the view (translate, replay, tests); the validator uses its index instead. */
export function scanningPolicyLookup(view: ResourceView): PolicyLookup {
  const byTarget = new Map<string, EnvoyGatewayPolicy[]>();
  for (const kind of ENVOY_GATEWAY_POLICY_KINDS) {
    for (const policy of view.list(kind)) {
      for (const target of policyTargets(policy, view)) {
        const id = formatResourceKey(target.key);
        const list = byTarget.get(id) ?? [];
        if (!list.includes(policy)) list.push(policy);
        byTarget.set(id, list);
      }
    }
  }
  return (target) => byTarget.get(formatResourceKey(target)) ?? [];
}

/** The targets of `policy` that are `key` (with their sectionName). */
function targetsOn(policy: EnvoyGatewayPolicy, key: ResourceKey, view: ResourceView): PolicyTarget[] {
  const id = formatResourceKey(key);
  return policyTargets(policy, view).filter((t) => formatResourceKey(t.key) === id);
}

/**
 * The policy of `kind` in force on `key` with `sectionName` (undefined: the whole object): the oldest of those
 * targeting exactly that, or undefined.
 */
export function policyOn(
  kind: EnvoyGatewayPolicyKind,
  key: ResourceKey,
  sectionName: string | undefined,
  view: ResourceView,
  lookup: PolicyLookup,
): EnvoyGatewayPolicy | undefined {
  const candidates = lookup(key).filter(
    (policy) =>
      policy.kind === kind && targetsOn(policy, key, view).some((t) => t.sectionName === sectionName),
  );
  return candidates.sort(comparePolicyAge)[0];
}
