// GEP-713 policy attachment, shared by every policy kind (SecurityPolicy, ClientTrafficPolicy,
// EnvoyExtensionPolicy, BackendTrafficPolicy): which objects a policy targets (targetRef(s) with an optional
// sectionName, targetSelectors by labels), which policy is in force where (route rule > route > listener >
// ListenerSet > Gateway, the most specific wins — or, for kinds with Envoy Gateway's mergeType, a route-level
// policy that asks for it is merged into its parent's; between policies of one kind on the same target the
// oldest wins, the others are Conflicted), and the policy's status.ancestors (one entry per ancestor Gateway,
// Accepted / Conflicted / TargetNotFound / Invalid and Envoy Gateway's Overridden and Merged, at most 16, other
// controllers' entries kept). A policy kind plugs in as a PolicyKindRules: its target kinds and its spec → IR
// function.

import { AI_GATEWAY_GROUP } from '../resources/ai-gateway.ts';
import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type {
  EnvoyGatewayPolicy,
  EnvoyGatewayPolicyKind,
  PolicyAncestorStatusShape,
  PolicyTargetReference,
} from '../resources/envoy-gateway-policies.ts';
import { ENVOY_GATEWAY_POLICY_KINDS, POLICY_SPEC_SCHEMAS } from '../resources/envoy-gateway-policies.ts';
import { schemaProblems } from '../resources/field-schema.ts';
import {
  ANY_NAME,
  CORE_GROUP,
  formatResourceKey,
  GATEWAY_GROUP,
  keyOf,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import {
  type ConditionSpec,
  condition,
  mergeConditions,
  PolicyReason,
  type Stamp,
} from '../shared/conditions.ts';
import { compileLabelSelector } from '../shared/label-selectors.ts';
import { namespaceLabels } from '../shared/namespaces.ts';
import { isReferenceAllowed, normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import type { OidcDiscoveryView } from './oidc-discovery.ts';

/** How specific a target is: lower wins. */
export const TargetLevel = { rule: 0, route: 1, listener: 2, listenerSet: 3, gateway: 4 } as const;
export type TargetLevel = (typeof TargetLevel)[keyof typeof TargetLevel];

export interface PolicyTarget {
  readonly key: ResourceKey;
  readonly sectionName?: string;
  /** Where it came from, for messages: `spec.targetRefs[1]` or `spec.targetSelectors[0]`. */
  readonly field: string;
}

/** What a kind's rules make of a policy: its IR, or why it cannot be enforced. */
export type PolicyVerdict<IR> =
  | { readonly ok: true; readonly ir: IR }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly message: string;
      /** The targeted traffic must be refused rather than served without the policy. */
      readonly failClosed: boolean;
    };

/** A refusal with reason Invalid: the field and the fix are in `message`. */
export function invalid<IR>(message: string, failClosed = true): PolicyVerdict<IR> {
  return { ok: false, reason: PolicyReason.Invalid, message, failClosed };
}

export interface PolicyKindRules<IR> {
  readonly kind: EnvoyGatewayPolicyKind;
  /** Target kinds (group gateway.networking.k8s.io) this kind may attach to. */
  readonly targetKinds: readonly string[];
  /** Where the kind's IR goes: route rules (and so routes) or listeners. */
  readonly scope: 'rule' | 'listener';
  evaluate(policy: EnvoyGatewayPolicy, view: ResourceView, context: PolicyContext): PolicyVerdict<IR>;
  /** Kinds with Envoy Gateway's mergeType: whether a (route-level) policy asks to be merged into its parent's. */
  readonly merges?: (policy: EnvoyGatewayPolicy) => boolean;
  /** The IR of a merging route-level `child` merged into `parent`, the Gateway- or listener-level policy in force. */
  readonly merge?: (
    child: EnvoyGatewayPolicy,
    parent: EnvoyGatewayPolicy,
    view: ResourceView,
    context: PolicyContext,
  ) => PolicyVerdict<IR>;
  /** A strict-field problem said better (a field some documents invent, and what to use instead). */
  readonly explainProblem?: (problem: string) => string;
}

const POLICY_KIND_NAMES: ReadonlySet<string> = new Set(ENVOY_GATEWAY_POLICY_KINDS);

/** Where the policies are enforced, which decides what their services may be (policies/backend.ts). */
export interface PolicyContext {
  /**
   * The data plane runs on this host (standalone mode): a Backend a policy calls may name loopback addresses and
   * single-label names. In a cluster they would reach the proxy pod itself.
   */
  readonly hostDataPlane: boolean;
  /** The OpenID Connect discovery documents the control plane has read (policies/oidc-discovery.ts). */
  readonly oidcDiscovery?: OidcDiscoveryView;
}

/** A data plane in a cluster: the stricter context, for callers that do not say. */
export const CLUSTER_POLICY_CONTEXT: PolicyContext = { hostDataPlane: false };

export function isPolicyKind(kind: string): kind is EnvoyGatewayPolicyKind {
  return POLICY_KIND_NAMES.has(kind);
}

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/**
 * A target's group: as written, else Gateway API's — except an AIGatewayRoute, Envoy AI Gateway's route, which
 * is its own group's (a SecurityPolicy on it applies to the route it generates).
 */
function targetGroup(group: string | undefined, kind: string): string {
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
  const seen = new Set(targets.map((t) => formatResourceKey(t.key)));
  selectorsOf(policy).forEach((raw, i) => {
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

/** Strict field check of a policy's spec against its kind's schema (unknown fields, wrong types). */
export function policySchemaProblems(policy: EnvoyGatewayPolicy): string[] {
  return schemaProblems(policy.spec ?? {}, POLICY_SPEC_SCHEMAS[policy.kind], 'spec');
}

/**
 * What a kind's rules make of a policy, after the strict field check: unknown fields or wrong types refuse it
 * (naming them). Refusing a security setting denies its targets; a ClientTrafficPolicy only when it asks for
 * client certificate validation (anything else it sets only tunes connections).
 */
export function evaluatePolicy<IR>(
  policy: EnvoyGatewayPolicy,
  rules: PolicyKindRules<IR>,
  view: ResourceView,
  context: PolicyContext = CLUSTER_POLICY_CONTEXT,
): PolicyVerdict<IR> {
  const problems = policyProblemsAsWritten(policy, rules);
  if (problems.length === 0) return rules.evaluate(policy, view, context);
  const mtls = policy.kind === 'ClientTrafficPolicy' && policy.spec?.tls?.clientValidation !== undefined;
  return {
    ok: false,
    reason: PolicyReason.Invalid,
    message: problems.join('; '),
    failClosed: policy.kind !== 'ClientTrafficPolicy' || mtls,
  };
}

/**
 * What is wrong with a policy as written, whatever it targets (its fields, its selectors): for a policy with no
 * ancestor to carry its condition, which `switchyard translate` still reports.
 */
export function policyProblemsAsWritten<IR>(
  policy: EnvoyGatewayPolicy,
  rules: PolicyKindRules<IR>,
): string[] {
  const schema = policySchemaProblems(policy).map((problem) => rules.explainProblem?.(problem) ?? problem);
  return schema.length > 0 ? schema : targetSelectorProblems(policy, rules.targetKinds);
}

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

// ---- Status ---------------------------------------------------------------------------------------------------

export interface AncestorRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly sectionName?: string;
}

export interface PolicyStatusOptions extends Pick<Stamp, 'now'> {
  readonly controllerName: string;
  readonly lookup: PolicyLookup;
  /** The Gateways of ours a route is accepted on (empty when none, or when the route is missing). */
  readonly routeGateways: (route: ResourceKey) => readonly ResourceKey[];
  /** Whether a Gateway exists and is of one of our classes. */
  readonly gatewayIsOurs: (gateway: ResourceKey) => boolean;
  /** The routes accepted on a Gateway (for Overridden). */
  readonly routesOf: (gateway: ResourceKey) => readonly ResourceKey[];
  /** Standalone mode: the data plane runs on this host (see PolicyContext). */
  readonly hostDataPlane?: boolean;
  readonly oidcDiscovery?: OidcDiscoveryView;
}

const ROUTE_KINDS = new Set(['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute', 'AIGatewayRoute']);

/**
 * status.ancestors of a policy: ours recomputed (one entry per ancestor), other controllers' kept; at most 16
 * (entries that need attention first). Undefined when no target is ours and we never reported on it.
 */
export function computePolicyStatus<IR>(
  policy: EnvoyGatewayPolicy,
  rules: PolicyKindRules<IR>,
  view: ResourceView,
  options: PolicyStatusOptions,
): { ancestors: PolicyAncestorStatusShape[] } | undefined {
  const namespace = policy.metadata?.namespace ?? '';
  const stamp: Stamp = { generation: policy.metadata?.generation, now: options.now };
  const desired = new Map<string, { ref: AncestorRef; conditions: ConditionSpec[] }>();
  const add = (ref: AncestorRef, conditions: ConditionSpec[]) => {
    const id = `${ref.kind}/${ref.namespace}/${ref.name}/${ref.sectionName ?? ''}`;
    const existing = desired.get(id);
    // A worse verdict on one target wins over an accepted one on another target with the same ancestor.
    if (existing === undefined || conditions[0]?.status === 'False') desired.set(id, { ref, conditions });
  };
  const verdict = evaluatePolicy(policy, rules, view, {
    hostDataPlane: options.hostDataPlane === true,
    ...(options.oidcDiscovery === undefined ? {} : { oidcDiscovery: options.oidcDiscovery }),
  });
  const kindOf = policy.kind;
  for (const target of policyTargets(policy, view)) {
    const gatewayRef = (key: ResourceKey, sectionName?: string): AncestorRef => ({
      group: GATEWAY_GROUP,
      kind: 'Gateway',
      namespace: key.namespace ?? namespace,
      name: key.name,
      ...(sectionName === undefined ? {} : { sectionName }),
    });
    const targetRef: AncestorRef = {
      group: target.key.group,
      kind: target.key.kind,
      namespace: target.key.namespace ?? namespace,
      name: target.key.name,
      ...(target.sectionName === undefined ? {} : { sectionName: target.sectionName }),
    };
    if (
      target.key.group !== targetGroup(undefined, target.key.kind) ||
      !rules.targetKinds.includes(target.key.kind)
    ) {
      add(targetRef, [
        condition(
          'Accepted',
          'False',
          PolicyReason.Invalid,
          `${target.field}: a ${kindOf} cannot target ${target.key.group || 'core'}/${target.key.kind}; use ${rules.targetKinds.join(', ')}`,
        ),
      ]);
      continue;
    }
    // The ancestors a target reports under: a Gateway (or ListenerSet) itself, a route's Gateways.
    let ancestors: AncestorRef[];
    if (target.key.kind === 'Gateway') {
      const exists = view.get('Gateway', target.key.namespace, target.key.name) !== undefined;
      if (exists && !options.gatewayIsOurs(target.key)) continue;
      ancestors = [gatewayRef(target.key, target.sectionName)];
      if (!exists) {
        add(ancestors[0]!, [notFound(target, kindOf)]);
        continue;
      }
      const listeners = asArray<{ name?: string }>(
        view.get('Gateway', target.key.namespace, target.key.name)?.spec?.listeners,
      );
      if (target.sectionName !== undefined && !listeners.some((l) => l?.name === target.sectionName)) {
        add(ancestors[0]!, [
          condition(
            'Accepted',
            'False',
            PolicyReason.TargetNotFound,
            `${target.field}: Gateway ${target.key.name} has no listener ${target.sectionName}`,
          ),
        ]);
        continue;
      }
    } else if (target.key.kind === 'ListenerSet') {
      const set = view.get('ListenerSet', target.key.namespace, target.key.name);
      if (set === undefined) {
        add(targetRef, [notFound(target, kindOf)]);
        continue;
      }
      ancestors = [targetRef];
    } else {
      const route = view.get(target.key.kind as 'HTTPRoute', target.key.namespace, target.key.name);
      if (route === undefined) {
        add(targetRef, [notFound(target, kindOf)]);
        continue;
      }
      const gateways = options.routeGateways(target.key);
      if (gateways.length === 0) continue;
      ancestors = gateways.map((g) => gatewayRef(g));
      if (
        target.sectionName !== undefined &&
        !asArray<{ name?: string }>(route.spec?.rules).some((r) => r?.name === target.sectionName)
      ) {
        for (const ancestor of ancestors)
          add(ancestor, [
            condition(
              'Accepted',
              'False',
              PolicyReason.TargetNotFound,
              `${target.field}: ${target.key.kind} ${target.key.name} has no rule named ${target.sectionName}`,
            ),
          ]);
        continue;
      }
    }
    const winner = policyOn(policy.kind, target.key, target.sectionName, view, options.lookup);
    const self = formatResourceKey(keyOf(policy));
    if (winner !== undefined && formatResourceKey(keyOf(winner)) !== self) {
      const what = `${target.key.kind} ${target.key.name}${target.sectionName === undefined ? '' : `/${target.sectionName}`}`;
      for (const ancestor of ancestors)
        add(ancestor, [
          condition(
            'Accepted',
            'False',
            PolicyReason.Conflicted,
            `Unable to target ${what}: the older ${kindOf} ${winner.metadata.namespace ?? ''}/${winner.metadata.name} is attached to it`,
          ),
        ]);
      continue;
    }
    const conditions: ConditionSpec[] = verdict.ok
      ? [condition('Accepted', 'True', PolicyReason.Accepted, 'Policy has been accepted.')]
      : [
          condition(
            'Accepted',
            'False',
            verdict.reason,
            verdict.failClosed
              ? `${verdict.message}; the targeted routes answer 500 until this is fixed`
              : verdict.message,
          ),
        ];
    if (verdict.ok && (target.key.kind === 'Gateway' || target.key.kind === 'ListenerSet')) {
      const { overriding, merging } = overridingRoutes(policy, rules, target, view, options);
      if (overriding.length > 0) {
        conditions.push(
          condition(
            'Overridden',
            'True',
            PolicyReason.Overridden,
            `This policy is being overridden by other ${kindOf} for these routes: ${listSome(overriding)}`,
          ),
        );
      }
      if (merging.length > 0) {
        conditions.push(
          condition(
            'Merged',
            'True',
            PolicyReason.Merged,
            `This policy is being merged by other ${kindOf} for these routes: ${listSome(merging)}`,
          ),
        );
      }
    }
    const merges = verdict.ok && rules.merges?.(policy) === true && ROUTE_KINDS.has(target.key.kind);
    for (const ancestor of ancestors) {
      const parent = merges ? parentPolicyOn(policy.kind, ancestor, view, options.lookup) : undefined;
      add(
        ancestor,
        parent === undefined
          ? conditions
          : [
              ...conditions,
              condition(
                'Merged',
                'True',
                PolicyReason.Merged,
                `Merged with policy ${parent.metadata.namespace ?? ''}/${parent.metadata.name}`,
              ),
            ],
      );
    }
  }
  const previous = asArray<PolicyAncestorStatusShape>(policy.status?.ancestors);
  if (desired.size === 0 && !previous.some((a) => a?.controllerName === options.controllerName))
    return undefined;
  const ours: PolicyAncestorStatusShape[] = [...desired.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { ref, conditions }]) => {
      const old = previous.find(
        (a) =>
          a?.controllerName === options.controllerName &&
          a.ancestorRef?.name === ref.name &&
          (a.ancestorRef?.kind ?? 'Gateway') === ref.kind &&
          (a.ancestorRef?.namespace ?? namespace) === ref.namespace &&
          a.ancestorRef?.sectionName === ref.sectionName,
      );
      return {
        ancestorRef: { ...ref },
        controllerName: options.controllerName,
        conditions: mergeConditions(old?.conditions as never, conditions, 'PolicyAncestor', stamp),
      };
    });
  // Entries that need attention first, so the 16 kept are the useful ones.
  ours.sort((a, b) => rank(a) - rank(b));
  const others = previous.filter((a) => a?.controllerName !== options.controllerName);
  return { ancestors: [...others, ...ours].slice(0, 16) };
}

function rank(entry: PolicyAncestorStatusShape): number {
  const accepted = entry.conditions?.find((c) => c.type === 'Accepted');
  return accepted?.status === 'False' ? 0 : entry.conditions?.some((c) => c.type === 'Overridden') ? 1 : 2;
}

function notFound(target: PolicyTarget, kind: string): ConditionSpec {
  return condition(
    'Accepted',
    'False',
    PolicyReason.TargetNotFound,
    `${target.field}: ${target.key.kind} ${target.key.namespace ?? ''}/${target.key.name} not found; the ${kind} applies once it exists`,
  );
}

function listSome(items: readonly string[]): string {
  return `${items.slice(0, 8).join(', ')}${items.length > 8 ? ` and ${items.length - 8} more` : ''}`;
}

/**
 * The policy of a kind a merging route-level policy is merged into on an ancestor Gateway: the Gateway's own,
 * else one on a listener of it (status only says which; apply.ts merges per listener).
 */
function parentPolicyOn(
  kind: EnvoyGatewayPolicyKind,
  ancestor: AncestorRef,
  view: ResourceView,
  lookup: PolicyLookup,
): EnvoyGatewayPolicy | undefined {
  if (ancestor.kind !== 'Gateway') return undefined;
  const gateway = resourceKey(GATEWAY_GROUP, 'Gateway', ancestor.namespace, ancestor.name);
  const own = policyOn(kind, gateway, undefined, view, lookup);
  if (own !== undefined) return own;
  const listeners = asArray<{ name?: string }>(
    view.get('Gateway', ancestor.namespace, ancestor.name)?.spec?.listeners,
  );
  for (const listener of listeners) {
    if (typeof listener?.name !== 'string') continue;
    const onListener = policyOn(kind, gateway, listener.name, view, lookup);
    if (onListener !== undefined) return onListener;
  }
  return undefined;
}

/**
 * Routes on a Gateway-level policy's Gateway (or listener) that a more specific policy of its kind covers:
 * overriding it, or merged into it (a policy with mergeType).
 */
function overridingRoutes<IR>(
  policy: EnvoyGatewayPolicy,
  rules: PolicyKindRules<IR>,
  target: PolicyTarget,
  view: ResourceView,
  options: PolicyStatusOptions,
): { overriding: string[]; merging: string[] } {
  if (target.key.kind !== 'Gateway') return { overriding: [], merging: [] };
  const out: string[] = [];
  const merging: string[] = [];
  for (const route of options.routesOf(target.key)) {
    if (!ROUTE_KINDS.has(route.kind)) continue;
    const others = options.lookup(route).filter((other) => other.kind === policy.kind && other !== policy);
    if (others.length === 0) continue;
    const name = `${route.kind}/${route.namespace ?? ''}/${route.name}`;
    if (others.every((other) => rules.merges?.(other) === true)) merging.push(name);
    else out.push(name);
  }
  if (target.sectionName === undefined) {
    const listeners = asArray<{ name?: string }>(
      view.get('Gateway', target.key.namespace, target.key.name)?.spec?.listeners,
    );
    for (const listener of listeners) {
      if (typeof listener?.name !== 'string') continue;
      const onListener = policyOn(policy.kind, target.key, listener.name, view, options.lookup);
      if (onListener !== undefined)
        out.push(`Gateway/${target.key.namespace ?? ''}/${target.key.name}/${listener.name}`);
    }
  }
  return { overriding: out.sort(), merging: merging.sort() };
}
