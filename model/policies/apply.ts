// Policies into a Gateway's IR: for each listener and each route rule on it, the policy of each kind in force
// there (precedence.ts decides which) and what the kind's rules make of it. A policy that cannot be enforced
// gives its rules `policies.denied` (they answer 500) instead of being skipped; kinds that only some route kinds
// support deny the others when a policy targets them. A route-level policy of a kind with mergeType that asks to
// be merged is combined with the listener's (or ListenerSet's, or Gateway's) policy in force, per listener.

import type { GatewayIR, ListenerIR, RouteIR, RuleIR } from '../ir/gateway-ir.ts';
import type { ClientTrafficIR, RulePoliciesIR } from '../ir/policies.ts';
import type { BackendTrafficIR } from '../ir/traffic-policies.ts';
import type { EnvoyGatewayPolicy, EnvoyGatewayPolicyKind } from '../resources/envoy-gateway-policies.ts';
import { formatResourceKey, keyOf, type ResourceKey } from '../resources/resource-key.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import {
  CLUSTER_POLICY_CONTEXT,
  evaluatePolicy,
  type PolicyContext,
  type PolicyKindRules,
  type PolicyVerdict,
} from './attachment.ts';
import { type PolicyLookup, policyAmong, policyOn } from './precedence.ts';

/** A rule-scoped kind and the RulePoliciesIR field it fills. */
export interface RulePolicyKind<IR> {
  readonly rules: PolicyKindRules<IR>;
  readonly field: 'security' | 'extension' | 'traffic';
  /** Route kinds the kind's IR means something for; a policy on another route kind denies it. */
  readonly routeKinds: readonly string[];
}

export interface PolicyKinds {
  readonly rule: readonly RulePolicyKind<unknown>[];
  readonly listener?: PolicyKindRules<ClientTrafficIR>;
}

const DENIED_STATUS = 500;

/** The IR with every policy in force applied; the same IR object when no policy applies. */
export function applyPolicies(
  ir: GatewayIR,
  view: ResourceView,
  lookup: PolicyLookup,
  kinds: PolicyKinds,
  context: PolicyContext = CLUSTER_POLICY_CONTEXT,
): GatewayIR {
  // A policy's own verdict is kept with it (evaluatePolicy); a merged one here, once per Gateway.
  const merged = new Map<string, PolicyVerdict<unknown>>();
  const verdictOf: VerdictOf = <IR>(
    policy: EnvoyGatewayPolicy,
    rules: PolicyKindRules<IR>,
    parent?: EnvoyGatewayPolicy,
  ): PolicyVerdict<IR> => {
    if (parent === undefined || rules.merge === undefined)
      return evaluatePolicy(policy, rules, view, context);
    const id = `${formatResourceKey(keyOf(policy))} into ${formatResourceKey(keyOf(parent))}`;
    let verdict = merged.get(id) as PolicyVerdict<IR> | undefined;
    if (verdict === undefined) {
      verdict = mergedVerdict(policy, parent, rules, view, context);
      merged.set(id, verdict as PolicyVerdict<unknown>);
    }
    return verdict;
  };
  // Listener-level candidates are the same for every route of a listener: computed once per listener.
  const onListener = (kind: EnvoyGatewayPolicyKind, listener: ListenerIR): EnvoyGatewayPolicy | undefined =>
    policyOn(kind, listener.owner, listener.name, view, lookup) ??
    (listener.owner.kind === 'ListenerSet'
      ? policyOn(kind, listener.owner, undefined, view, lookup)
      : undefined) ??
    policyOn(kind, ir.gateway, undefined, view, lookup);

  let changed = false;
  const ports = ir.ports.map((port) => {
    let portChanged = false;
    const listeners = port.listeners.map((listener) => {
      let clientTraffic: ClientTrafficIR | undefined;
      let listenerDenied: RulePoliciesIR['denied'];
      if (kinds.listener !== undefined) {
        const policy = onListener(kinds.listener.kind, listener);
        if (policy !== undefined) {
          const own = verdictOf(policy, kinds.listener);
          const verdict =
            own.ok && kinds.listener.forListener !== undefined
              ? kinds.listener.forListener(own.ir, {
                  name: listener.name,
                  ...(listener.hostname === undefined ? {} : { hostname: listener.hostname }),
                  routeHostnames: listener.routes.flatMap((route) => route.hostnames),
                })
              : own;
          if (verdict.ok) clientTraffic = verdict.ir;
          else if (verdict.failClosed)
            listenerDenied = { status: DENIED_STATUS, policy: keyOf(policy), reason: verdict.message };
        }
      }
      const listenerWinners = kinds.rule.map((kind) => onListener(kind.rules.kind, listener));
      const routes = listener.routes.map((route) =>
        routeWithPolicies(route, kinds.rule, listenerWinners, listenerDenied, view, lookup, verdictOf),
      );
      const routesChanged = routes.some((r, i) => r !== listener.routes[i]);
      if (!routesChanged && clientTraffic === undefined) return listener;
      portChanged = true;
      return { ...listener, routes, ...(clientTraffic === undefined ? {} : { clientTraffic }) };
    });
    if (!portChanged) return port;
    changed = true;
    return { ...port, listeners };
  });
  return changed ? { ...ir, ports } : ir;
}

type VerdictOf = <IR>(
  policy: EnvoyGatewayPolicy,
  rules: PolicyKindRules<IR>,
  /** Merge `policy` (route-level, with mergeType) into this one. */
  parent?: EnvoyGatewayPolicy,
) => PolicyVerdict<IR>;

/** Each policy checked on its own first (strict fields, its own values), then the two merged. */
function mergedVerdict<IR>(
  child: EnvoyGatewayPolicy,
  parent: EnvoyGatewayPolicy,
  rules: PolicyKindRules<IR>,
  view: ResourceView,
  context: PolicyContext,
): PolicyVerdict<IR> {
  const own = evaluatePolicy(child, rules, view, context);
  if (!own.ok) return own;
  const inherited = evaluatePolicy(parent, rules, view, context);
  if (!inherited.ok) return inherited;
  return rules.merge?.(child, parent, view, context) ?? own;
}

function routeWithPolicies(
  route: RouteIR,
  kinds: readonly RulePolicyKind<unknown>[],
  listenerWinners: readonly (EnvoyGatewayPolicy | undefined)[],
  listenerDenied: RulePoliciesIR['denied'],
  view: ResourceView,
  lookup: PolicyLookup,
  verdictOf: VerdictOf,
): RouteIR {
  // The policies targeting the route (or one of its rules), looked up once for every kind and rule.
  const targeting = lookup(route.route);
  const routeWinners = kinds.map((kind) =>
    policyAmong(targeting, kind.rules.kind, route.route, undefined, view),
  );
  let changed = false;
  const rules = route.rules.map((rule): RuleIR => {
    const policies: { -readonly [K in keyof RulePoliciesIR]: RulePoliciesIR[K] } = {};
    if (listenerDenied !== undefined) policies.denied = listenerDenied;
    kinds.forEach((kind, i) => {
      const own =
        (rule.name === undefined
          ? undefined
          : policyAmong(targeting, kind.rules.kind, route.route, rule.name, view)) ?? routeWinners[i];
      const supported = kind.routeKinds.includes(route.kind);
      // Gateway- and listener-level policies apply to the route kinds they mean something for.
      const winner = own ?? (supported ? listenerWinners[i] : undefined);
      if (winner === undefined) return;
      if (!supported) {
        policies.denied ??= deny(winner, `a ${kind.rules.kind} cannot be enforced on a ${route.kind}`);
        return;
      }
      const parent = listenerWinners[i];
      const merging =
        own !== undefined && parent !== undefined && kind.rules.merges?.(own) === true ? parent : undefined;
      const verdict = verdictOf(winner, kind.rules, merging);
      if (verdict.ok) (policies as Record<string, unknown>)[kind.field] = verdict.ir;
      else if (verdict.failClosed) policies.denied ??= deny(winner, verdict.message);
    });
    // An AIGatewayRoute rule's QuotaPolicy limits (set when the IR was built) count alongside a traffic policy's.
    const quotas = rule.policies?.traffic;
    if (quotas !== undefined) policies.traffic = withQuotaLimits(policies.traffic, quotas);
    const onlyQuotas =
      Object.keys(policies).length === 1 && quotas !== undefined && policies.traffic === quotas;
    if (Object.keys(policies).length === 0 || onlyQuotas) return rule;
    changed = true;
    return { ...rule, policies };
  });
  return changed ? { ...route, rules } : route;
}

function deny(policy: EnvoyGatewayPolicy, reason: string): NonNullable<RulePoliciesIR['denied']> {
  return { status: DENIED_STATUS, policy: keyOf(policy) as ResourceKey, reason };
}

/** A traffic policy's IR with QuotaPolicy limits added to its global rate limits (or the limits alone). */
function withQuotaLimits(traffic: BackendTrafficIR | undefined, quotas: BackendTrafficIR): BackendTrafficIR {
  if (traffic === undefined) return quotas;
  return {
    ...traffic,
    rateLimit: {
      global: [...(traffic.rateLimit?.global ?? []), ...(quotas.rateLimit?.global ?? [])],
      local: traffic.rateLimit?.local ?? [],
    },
  };
}
