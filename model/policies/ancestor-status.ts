// GEP-713 status.ancestors of a policy (attachment.ts): one entry per ancestor Gateway (a route's Gateways, a
// Gateway or ListenerSet itself) with Accepted / Conflicted / TargetNotFound / Invalid and Envoy Gateway's
// Overridden and Merged, at most 16 (those that need attention first), other controllers' entries kept.

import type {
  EnvoyGatewayPolicy,
  EnvoyGatewayPolicyKind,
  PolicyAncestorStatusShape,
} from '../resources/envoy-gateway-policies.ts';
import {
  formatResourceKey,
  GATEWAY_GROUP,
  keyOf,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import {
  type ConditionSpec,
  condition,
  mergeConditions,
  PolicyReason,
  type Stamp,
} from '../shared/conditions.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { evaluatePolicy, type PolicyKindRules, type PolicyVerdict } from './attachment.ts';
import type { OidcDiscoveryView } from './oidc-discovery.ts';
import { type PolicyTarget, policyTargets, targetGroup } from './policy-targets.ts';
import { type PolicyLookup, policyOn } from './precedence.ts';

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
    const onListeners = verdict.ok ? listenerVerdict(verdict.ir, rules, target, view, options) : verdict;
    const conditions: ConditionSpec[] = onListeners.ok
      ? [condition('Accepted', 'True', PolicyReason.Accepted, 'Policy has been accepted.')]
      : [
          condition(
            'Accepted',
            'False',
            onListeners.reason,
            onListeners.failClosed
              ? `${onListeners.message}; the targeted routes answer 500 until this is fixed`
              : onListeners.message,
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

/**
 * A listener-scoped policy on a Gateway or ListenerSet (or one listener of it) checked on each HTTP listener it
 * covers (PolicyKindRules.forListener): the first listener it cannot apply to makes the verdict.
 */
function listenerVerdict<IR>(
  ir: IR,
  rules: PolicyKindRules<IR>,
  target: PolicyTarget,
  view: ResourceView,
  options: PolicyStatusOptions,
): PolicyVerdict<IR> {
  const ok: PolicyVerdict<IR> = { ok: true, ir };
  if (rules.forListener === undefined) return ok;
  if (target.key.kind !== 'Gateway' && target.key.kind !== 'ListenerSet') return ok;
  const owner = view.get(target.key.kind, target.key.namespace, target.key.name);
  const listeners = asArray<{ name?: string; hostname?: string; protocol?: string }>(owner?.spec?.listeners);
  // Read only when the kind's check asks for them (a getter): a status that did not read the routes is not
  // recomputed when they change (actors/reference-validator/route-reads.ts).
  let routes: { metadata: { namespace?: string }; spec?: { parentRefs?: unknown; hostnames?: unknown } }[];
  const routesRead = () => {
    routes ??= options
      .routesOf(target.key)
      .filter((route) => route.kind === 'HTTPRoute' || route.kind === 'GRPCRoute')
      .flatMap((route) => {
        const object = view.get(route.kind as 'HTTPRoute', route.namespace, route.name);
        return object === undefined ? [] : [object];
      });
    return routes;
  };
  for (const listener of listeners) {
    if (typeof listener?.name !== 'string') continue;
    if (target.sectionName !== undefined && listener.name !== target.sectionName) continue;
    if (listener.protocol !== 'HTTP' && listener.protocol !== 'HTTPS') continue;
    const routeHostnames = () =>
      routesRead()
        .filter((route) =>
          asArray<{ kind?: string; name?: string; namespace?: string; sectionName?: string }>(
            route.spec?.parentRefs,
          ).some(
            (ref) =>
              (ref?.kind ?? 'Gateway') === target.key.kind &&
              ref?.name === target.key.name &&
              (ref.namespace ?? route.metadata.namespace) === target.key.namespace &&
              (ref.sectionName === undefined || ref.sectionName === listener.name),
          ),
        )
        .flatMap((route) => asArray<string>(route.spec?.hostnames))
        .filter((hostname) => typeof hostname === 'string' && hostnameWithin(hostname, listener.hostname));
    const verdict = rules.forListener(ir, {
      name: listener.name,
      ...(typeof listener.hostname === 'string' ? { hostname: listener.hostname } : {}),
      get routeHostnames() {
        return routeHostnames();
      },
    });
    if (!verdict.ok) return verdict;
  }
  return ok;
}

/** Whether a route hostname can be served on a listener with this hostname (none or a wildcard covering it). */
function hostnameWithin(hostname: string, listener: string | undefined): boolean {
  if (listener === undefined || listener === '' || listener === hostname) return true;
  return listener.startsWith('*.') && hostname.endsWith(listener.slice(1));
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
