// GEP-713 targets of a policy (attachment.ts): the objects its targetRef(s) name (with an optional sectionName),
// what its targetSelectors select by labels (in its namespace, or in others with a ReferenceGrant), what is wrong
// with its selectors, and the keys the reference validator indexes it under so a change to a target finds it.

import { AI_GATEWAY_GROUP } from '../resources/ai-gateway.ts';
import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type { EnvoyGatewayPolicy, PolicyTargetReference } from '../resources/envoy-gateway-policies.ts';
import {
  ANY_NAME,
  CORE_GROUP,
  formatResourceKey,
  GATEWAY_GROUP,
  keyOf,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import { compileLabelSelector } from '../shared/label-selectors.ts';
import { namespaceLabels } from '../shared/namespaces.ts';
import { isReferenceAllowed, normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';

export interface PolicyTarget {
  readonly key: ResourceKey;
  readonly sectionName?: string;
  /** Where it came from, for messages: `spec.targetRefs[1]` or `spec.targetSelectors[0]`. */
  readonly field: string;
}

/**
 * A target's group: as written, else Gateway API's — except an AIGatewayRoute, Envoy AI Gateway's route, which
 * is its own group's (a SecurityPolicy on it applies to the route it generates).
 */
export function targetGroup(group: string | undefined, kind: string): string {
  if (group !== undefined && group !== null && group !== '') return normalizeGroup(group);
  return kind === 'AIGatewayRoute' ? AI_GATEWAY_GROUP : GATEWAY_GROUP;
}

function refsOf(policy: EnvoyGatewayPolicy): { ref: PolicyTargetReference; field: string }[] {
  const spec = policy.spec ?? {};
  const out = asArray<PolicyTargetReference>(spec.targetRefs).map((ref, i) => ({
    ref,
    field: `spec.targetRefs[${i}]`,
  }));
  if (spec.targetRef !== undefined && spec.targetRef !== null)
    out.unshift({ ref: spec.targetRef, field: 'spec.targetRef' });
  return out;
}

/** The objects a policy targets: its targetRef(s) as written, and what its targetSelectors select now. */
export function policyTargets(policy: EnvoyGatewayPolicy, view: ResourceView): PolicyTarget[] {
  const namespace = policy.metadata?.namespace ?? '';
  const targets: PolicyTarget[] = refsOf(policy).map(({ ref, field }) => ({
    key: resourceKey(
      targetGroup(ref?.group, String(ref?.kind ?? '')),
      String(ref?.kind ?? ''),
      namespace,
      String(ref?.name ?? ''),
    ),
    ...(typeof ref?.sectionName === 'string' && ref.sectionName !== ''
      ? { sectionName: ref.sectionName }
      : {}),
    field,
  }));
  const selectors = selectorsOf(policy);
  // Most policies name their targets only: nothing to tell apart from what selectors select.
  if (selectors.length === 0) return targets;
  const seen = new Set(targets.map((t) => formatResourceKey(t.key)));
  selectors.forEach((raw, i) => {
    const selector = compileTargetSelector(raw, i);
    if (!selector.ok || !SELECTABLE_KINDS.has(selector.kind)) return;
    // Another group's kind of the same name (Envoy Gateway compares both).
    if (selector.group !== targetGroup(undefined, selector.kind)) return;
    for (const object of selector.candidates(view, namespace)) {
      const objectNamespace = object.metadata?.namespace ?? '';
      if (!selector.matches(object.metadata?.labels)) continue;
      if (objectNamespace !== namespace) {
        if (!selector.namespaceMatches(namespaceLabels(view, objectNamespace))) continue;
        // As Envoy Gateway: a target in another namespace needs a ReferenceGrant there to the policy's kind.
        const granted = isReferenceAllowed(
          view,
          { group: ENVOY_GATEWAY_GROUP, kind: policy.kind, namespace },
          {
            group: selector.group,
            kind: selector.kind,
            namespace: objectNamespace,
            name: object.metadata?.name ?? '',
          },
        );
        if (!granted) continue;
      }
      const key = keyOf(object);
      const id = formatResourceKey(key);
      if (seen.has(id)) continue;
      seen.add(id);
      targets.push({ key, field: `spec.targetSelectors[${i}]` });
    }
  });
  return targets;
}

/** The kinds a targetSelector may select (each policy kind allows a subset: its targetKinds). */
const SELECTABLE_KINDS: ReadonlySet<string> = new Set([
  'Gateway',
  'ListenerSet',
  'HTTPRoute',
  'GRPCRoute',
  'TCPRoute',
  'TLSRoute',
  'UDPRoute',
  'AIGatewayRoute',
]);

type RawTargetSelector = NonNullable<NonNullable<EnvoyGatewayPolicy['spec']>['targetSelectors']>[number];

function selectorsOf(policy: EnvoyGatewayPolicy): RawTargetSelector[] {
  return asArray<RawTargetSelector>(policy.spec?.targetSelectors);
}

type CompiledTargetSelector =
  | {
      readonly ok: true;
      readonly group: string;
      readonly kind: string;
      readonly from: 'Same' | 'All' | 'Selector';
      readonly matches: (labels: Readonly<Record<string, string>> | undefined) => boolean;
      readonly namespaceMatches: (labels: Readonly<Record<string, string>>) => boolean;
      /** The objects of its kind in the namespaces it may look in (labels and grants not checked yet). */
      readonly candidates: (view: ResourceView, namespace: string) => readonly KeyedResource[];
    }
  | { readonly ok: false; readonly message: string };

type KeyedResource = { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };

/**
 * A targetSelector as Envoy Gateway reads it: its group defaults to Gateway API's (an AIGatewayRoute's to its
 * own), `namespaces.from` Same (default), All or Selector. What cannot be read is a message naming the field.
 */
function compileTargetSelector(raw: RawTargetSelector, i: number): CompiledTargetSelector {
  const field = `spec.targetSelectors[${i}]`;
  const kind = String(raw?.kind ?? '');
  const group = targetGroup(raw?.group, kind);
  const labels = compileLabelSelector({
    matchLabels: raw?.matchLabels ?? {},
    matchExpressions: raw?.matchExpressions ?? [],
  } as never);
  if (!labels.ok) return { ok: false, message: `${field}: ${labels.message}` };
  const from = raw?.namespaces?.from ?? 'Same';
  if (from !== 'Same' && from !== 'All' && from !== 'Selector')
    return { ok: false, message: `${field}.namespaces.from: ${String(from)} is not Same, All or Selector` };
  let namespaceMatches: (labels: Readonly<Record<string, string>>) => boolean = () => from === 'All';
  if (from === 'Selector') {
    if (raw?.namespaces?.selector === undefined || raw.namespaces.selector === null)
      return { ok: false, message: `${field}.namespaces.selector: required with from: Selector` };
    const namespaces = compileLabelSelector(raw.namespaces.selector as never);
    if (!namespaces.ok) return { ok: false, message: `${field}.namespaces: ${namespaces.message}` };
    namespaceMatches = namespaces.matches;
  }
  return {
    ok: true,
    group,
    kind,
    from,
    matches: labels.matches,
    namespaceMatches,
    candidates: (view, namespace) =>
      (from === 'Same' ? view.list(kind as 'Gateway', namespace) : view.list(kind as 'Gateway')) as never,
  };
}

/**
 * What is wrong with a policy's targetSelectors for its kind, field by field: a selector that cannot be read, a
 * kind the policy cannot target, a group that is not the kind's. (Envoy Gateway selects nothing for these,
 * silently; Switchyard refuses the policy, naming the field.)
 */
export function targetSelectorProblems(policy: EnvoyGatewayPolicy, targetKinds: readonly string[]): string[] {
  const problems: string[] = [];
  selectorsOf(policy).forEach((raw, i) => {
    const selector = compileTargetSelector(raw, i);
    if (!selector.ok) {
      problems.push(selector.message);
      return;
    }
    if (!targetKinds.includes(selector.kind) || !SELECTABLE_KINDS.has(selector.kind)) {
      problems.push(
        `spec.targetSelectors[${i}].kind: a ${policy.kind} cannot select ${selector.kind}; use ${targetKinds.join(', ')}`,
      );
      return;
    }
    if (selector.group !== targetGroup(undefined, selector.kind))
      problems.push(
        `spec.targetSelectors[${i}].group: ${selector.kind} is in ${targetGroup(undefined, selector.kind)}, not ${selector.group}`,
      );
  });
  return problems;
}

/**
 * For the reverse index: the targets named, and every object of a selected kind the selectors may look at (in
 * the namespace, or in every namespace with the ReferenceGrants and, for a namespace selector, the Namespaces).
 */
export function policyTargetDependencies(policy: EnvoyGatewayPolicy): ResourceKey[] {
  const namespace = policy.metadata?.namespace ?? '';
  const keys = refsOf(policy).map(({ ref }) =>
    resourceKey(
      targetGroup(ref?.group, String(ref?.kind ?? '')),
      String(ref?.kind ?? ''),
      namespace,
      String(ref?.name ?? ''),
    ),
  );
  for (const selector of selectorsOf(policy)) {
    const kind = String(selector?.kind ?? '');
    const from = selector?.namespaces?.from ?? 'Same';
    keys.push(
      resourceKey(
        targetGroup(selector?.group, kind),
        kind,
        from === 'Same' ? namespace : undefined,
        ANY_NAME,
      ),
    );
    if (from === 'Same') continue;
    keys.push(resourceKey(GATEWAY_GROUP, 'ReferenceGrant', undefined, ANY_NAME));
    if (from === 'Selector') keys.push(resourceKey(CORE_GROUP, 'Namespace', undefined, ANY_NAME));
  }
  return keys;
}
