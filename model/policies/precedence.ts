// GEP-713 precedence between policies of one kind (attachment.ts): which policy is in force on a target and
// section (the oldest of those targeting exactly it; the others are Conflicted), and how the policies targeting
// an object are found (the reference validator's reverse index, or a scan of the view).

import type { EnvoyGatewayPolicy, EnvoyGatewayPolicyKind } from '../resources/envoy-gateway-policies.ts';
import { ENVOY_GATEWAY_POLICY_KINDS } from '../resources/envoy-gateway-policies.ts';
import { formatResourceKey, type ResourceKey, sameResourceKey } from '../resources/resource-key.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { policyTargets } from './policy-targets.ts';

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
  return policyAmong(lookup(key), kind, key, sectionName, view);
}

/** policyOn among `targeting`, what the lookup found for `key` (looked up once for every kind and section). */
export function policyAmong(
  targeting: readonly EnvoyGatewayPolicy[],
  kind: EnvoyGatewayPolicyKind,
  key: ResourceKey,
  sectionName: string | undefined,
  view: ResourceView,
): EnvoyGatewayPolicy | undefined {
  if (targeting.length === 0) return undefined;
  const candidates = targeting.filter(
    (policy) =>
      policy.kind === kind &&
      policyTargets(policy, view).some((t) => t.sectionName === sectionName && sameResourceKey(t.key, key)),
  );
  return candidates.sort(comparePolicyAge)[0];
}
