// One route, evaluated once: its rules and backends (independent of parents) and, for each parentRef naming a
// Gateway or ListenerSet we own, the attachment and the status entry (Accepted, ResolvedRefs, PartiallyInvalid).

import type { AiRouteIR } from '../ir/ai.ts';
import type { DataPlaneRefusal } from '../ir/backend-contract.ts';
import type { SessionPersistenceIR } from '../ir/gateway-ir.ts';
import type { McpRouteIR } from '../ir/mcp.ts';
import type { RateLimitRuleIR } from '../ir/traffic-policies.ts';
import { resolveBackendRefFilters, resolveRuleFilters } from '../policies/http-route-filter.ts';
import type {
  BackendRef,
  ParentReference,
  Route,
  RouteKind,
  RouteParentStatus,
  RouteStatus,
} from '../resources/gateway-api.ts';

import { formatResourceKey, GATEWAY_GROUP, keyOf, type ResourceKey } from '../resources/resource-key.ts';
import {
  type ConditionSpec,
  ConditionType,
  condition,
  mergeConditions,
  RouteReason,
  type Stamp,
} from '../shared/conditions.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import {
  type AttachmentResult,
  attachRouteToListeners,
  createParentLookup,
  type ListenerAttachment,
  type ParentLookup,
} from './attachment.ts';
import { type BackendRefResult, resolveBackendRef } from './backend-refs.ts';
import { withDataPlaneRefusals } from './data-plane-refusals.ts';
import {
  droppedRulesMessage,
  type RuleVerdict,
  routeHostnamesProblem,
  validateRouteRules,
} from './route-rules.ts';
import { type RuleTiming, ruleTiming } from './rule-timing.ts';
import { sessionPersistenceOf } from './session-persistence.ts';

/** One backend of an AI Gateway fallback rule: its name in the ext_proc configuration and its priority. */
export interface PriorityBackend {
  readonly name: string;
  readonly priority: number;
}

export interface EvaluatedBackend {
  readonly weight: number;
  readonly result: BackendRefResult;
  /** Filters set on the backendRef itself (HTTPRoute, GRPCRoute), as written. */
  readonly filters: readonly unknown[];
}

export interface EvaluatedRule {
  readonly index: number;
  readonly name?: string;
  readonly verdict: RuleVerdict;
  /** The rule's matches and filters as written; the IR normalises them. */
  readonly matches: readonly unknown[];
  readonly filters: readonly unknown[];
  readonly backends: readonly EvaluatedBackend[];
  /** Backends of RequestMirror filters, resolved like backendRefs. */
  readonly mirrors: readonly EvaluatedBackend[];
  /** HTTPRoute timeouts and retry, validated and in milliseconds. */
  readonly timing: RuleTiming;
  /** HTTPRoute and GRPCRoute `sessionPersistence`, validated. */
  readonly sessionPersistence?: SessionPersistenceIR;
  /** An AIGatewayRoute fallback rule: each backendRef's AI backend name and priority (see RuleIR). */
  readonly priorityFallback?: readonly PriorityBackend[];
  /** An AIGatewayRoute rule's QuotaPolicy limits (model/ai-gateway/quota-policies.ts): global rate limit rules. */
  readonly quotaLimits?: readonly RateLimitRuleIR[];
  /** Why an ExtensionRef filter of the rule cannot be applied: the rule answers 500 (ResolvedRefs says why). */
  readonly filterProblem?: string;
}

export interface RouteParentResult {
  readonly parentRef: ParentReference;
  /** Gateway or ListenerSet named by the parentRef. */
  readonly parent: ResourceKey;
  readonly gateway: ResourceKey;
  readonly attachment: AttachmentResult;
  readonly accepted: boolean;
  readonly status: RouteParentStatus;
}

export interface RouteEvaluation {
  readonly route: ResourceKey;
  readonly kind: RouteKind;
  readonly creationTimestamp?: string;
  readonly hostnames: readonly string[];
  readonly rules: readonly EvaluatedRule[];
  /** Only the parentRefs we own (their Gateway's class names our controller), in spec order. */
  readonly parents: readonly RouteParentResult[];
  /** Routed through the AI Gateway's ext_proc service (an AIGatewayRoute; see ai-gateway.ts). */
  readonly extProc?: boolean;
  /** An MCPRoute's servers (see model/mcp/). */
  readonly mcp?: McpRouteIR;
  /** An AIGatewayRoute's rules and backends (see model/ai-gateway/). */
  readonly ai?: AiRouteIR;
}

export interface RouteStatusOptions extends Pick<Stamp, 'now'> {
  readonly controllerName: string;
  /** Shared lookup of parents' listeners (memoised); a fresh one per call when absent. */
  readonly parents?: ParentLookup;
  /** Standalone mode: the data plane runs on this host (a Backend may then name host-only addresses). */
  readonly hostDataPlane?: boolean;
  /** What the data plane of a Gateway refused of this route (from the deployer): shown on that parent's entry. */
  readonly dataPlaneRefusals?: (gateway: ResourceKey) => readonly DataPlaneRefusal[];
  /** Backends in other namespaces the route may use as granted to it another way (backend-refs.ts `granted`). */
  readonly grantedBackends?: ReadonlySet<string>;
}

const MAX_PARENT_STATUSES = 32;

export function evaluateRoute(
  route: Route,
  view: ResourceView,
  options: RouteStatusOptions,
): RouteEvaluation {
  const key = keyOf(route);
  const kind = route.kind;
  const namespace = key.namespace ?? '';
  const verdicts = validateRouteRules(route);
  const referrer = {
    kind,
    namespace,
    hostDataPlane: options.hostDataPlane === true,
    ...(options.grantedBackends === undefined ? {} : { granted: options.grantedBackends }),
  };
  const rawRules: RawRule[] = Array.isArray(route.spec?.rules) ? (route.spec.rules as RawRule[]) : [];
  const rules = verdicts.map((verdict, index): EvaluatedRule => {
    const rule = rawRules[index] ?? {};
    const refs = Array.isArray(rule.backendRefs) ? rule.backendRefs : [];
    const resolvedBackends = refs.map((ref, i) => {
      const field = `spec.rules[${index}].backendRefs[${i}]`;
      const weight = typeof ref?.weight === 'number' && ref.weight >= 0 ? ref.weight : 1;
      const written: readonly unknown[] = Array.isArray(ref?.filters) ? ref.filters : [];
      const filters =
        kind === 'HTTPRoute' || kind === 'GRPCRoute'
          ? resolveBackendRefFilters(written, namespace, view, `${field}.filters`)
          : { filters: written };
      return { weight, filters, result: resolveBackendRef(ref, referrer, view, field) };
    });
    const written: readonly unknown[] = Array.isArray(rule.filters) ? rule.filters : [];
    const ruleFilters =
      kind === 'HTTPRoute' || kind === 'GRPCRoute'
        ? resolveRuleFilters(written, namespace, view, `spec.rules[${index}].filters`)
        : { filters: written };
    // A backendRef's HTTPRouteFilter that cannot be applied makes the rule answer 500 too.
    const filters = {
      filters: ruleFilters.filters,
      problem:
        ruleFilters.problem ?? resolvedBackends.find((b) => b.filters.problem !== undefined)?.filters.problem,
    };
    const mirrors = mirrorRefs(rule).map(({ ref, field }) => ({
      weight: 0,
      filters: [],
      result: resolveBackendRef(ref, referrer, view, field),
    }));
    return {
      index,
      ...(typeof rule.name === 'string' ? { name: rule.name } : {}),
      verdict,
      matches: Array.isArray(rule.matches) ? rule.matches : [],
      filters: filters.filters,
      ...(filters.problem === undefined ? {} : { filterProblem: filters.problem }),
      backends: resolvedBackends.map((b) => ({ ...b, filters: b.filters.filters })),
      mirrors,
      timing: kind === 'HTTPRoute' ? ruleTiming(rule) : {},
      ...sessionField(kind, rule, `session-${namespace}-${key.name}-${index}`),
    };
  });

  const hostnamesProblem = routeHostnamesProblem(route);
  const lookup = options.parents ?? createParentLookup(view, options.controllerName);
  const stamp: Stamp = { generation: route.metadata?.generation, now: options.now };
  const previous = Array.isArray(route.status?.parents) ? route.status.parents : [];
  const seen = new Set<string>();
  const parents: RouteParentResult[] = [];
  for (const parentRef of Array.isArray(route.spec?.parentRefs) ? route.spec.parentRefs : []) {
    const id = parentRefId(parentRef, namespace);
    if (seen.has(id) || parents.length >= MAX_PARENT_STATUSES) continue;
    seen.add(id);
    const parent = lookup(parentRef, namespace);
    if (parent === undefined) continue;
    const attachment = attachRouteToListeners(route, parentRef, parent, view);
    const desired = parentConditions(attachment, rules, hostnamesProblem);
    const refusals = options.dataPlaneRefusals?.(parent.gatewayKey) ?? [];
    const shown =
      refusals.length === 0
        ? desired
        : withDataPlaneRefusals(
            desired,
            refusals,
            rules.filter((r) => r.verdict.valid).map((r) => r.index),
          );
    const old = previous.find(
      (p) => p?.controllerName === options.controllerName && parentRefId(p.parentRef, namespace) === id,
    );
    parents.push({
      parentRef,
      parent: parent.parent,
      gateway: parent.gatewayKey,
      attachment,
      // What the spec rules decide: the IR and attachedRoutes are built from it, never from a refusal (whose
      // route would otherwise leave the IR, be served again, and be refused again).
      accepted: desired[0]?.status === 'True',
      status: {
        parentRef,
        controllerName: options.controllerName,
        conditions: mergeConditions(old?.conditions, shown, 'RouteParent', stamp),
      },
    });
  }
  return {
    route: key,
    kind,
    ...(typeof route.metadata?.creationTimestamp === 'string'
      ? { creationTimestamp: route.metadata.creationTimestamp }
      : {}),
    hostnames: routeHostnames(route),
    rules,
    parents,
  };
}

interface RawRule {
  name?: unknown;
  matches?: unknown[];
  filters?: unknown[];
  backendRefs?: (BackendRef & { filters?: unknown })[];
  timeouts?: unknown;
  retry?: unknown;
}

function routeHostnames(route: Route): readonly string[] {
  const hostnames = (route.spec as { hostnames?: unknown } | undefined)?.hostnames;
  if (!Array.isArray(hostnames)) return [];
  // Usually all strings: then the route's own array serves (evaluations are kept for every route).
  return hostnames.every((h) => typeof h === 'string')
    ? hostnames
    : hostnames.filter((h) => typeof h === 'string');
}

function parentConditions(
  attachment: AttachmentResult,
  rules: readonly EvaluatedRule[],
  hostnamesProblem: string | undefined,
): ConditionSpec[] {
  const verdicts = rules.map((r) => r.verdict);
  const invalid = verdicts.filter((v) => !v.valid);
  const dropped = droppedRulesMessage(verdicts);
  let accepted: ConditionSpec;
  let partiallyInvalid: ConditionSpec | undefined;
  if (!attachment.accepted) {
    accepted = condition(ConditionType.Accepted, 'False', attachment.reason, attachment.message);
  } else if (hostnamesProblem !== undefined) {
    accepted = condition(ConditionType.Accepted, 'False', RouteReason.UnsupportedValue, hostnamesProblem);
  } else if (invalid.length > 0 && invalid.length === verdicts.length) {
    const first = invalid[0] as Extract<RuleVerdict, { valid: false }>;
    accepted = condition(ConditionType.Accepted, 'False', first.reason, `All rules are invalid. ${dropped}`);
  } else {
    accepted = condition(ConditionType.Accepted, 'True', RouteReason.Accepted, 'Route is accepted');
    if (dropped !== undefined) {
      partiallyInvalid = condition(
        ConditionType.PartiallyInvalid,
        'True',
        RouteReason.UnsupportedValue,
        dropped,
      );
    }
  }
  const failure =
    rules
      .flatMap((rule) => [...rule.backends, ...rule.mirrors])
      .map((backend) => backend.result)
      .find((result): result is Extract<BackendRefResult, { ok: false }> => !result.ok) ??
    // An ExtensionRef filter that cannot be applied: Envoy Gateway's reason (UnsupportedValue).
    firstFilterProblem(rules);
  const resolvedRefs =
    failure === undefined
      ? condition(ConditionType.ResolvedRefs, 'True', RouteReason.ResolvedRefs, 'All references resolved')
      : condition(ConditionType.ResolvedRefs, 'False', failure.reason, failure.message);
  return partiallyInvalid === undefined
    ? [accepted, resolvedRefs]
    : [accepted, resolvedRefs, partiallyInvalid];
}

function firstFilterProblem(
  rules: readonly EvaluatedRule[],
): { readonly reason: string; readonly message: string } | undefined {
  const problem = rules.find((rule) => rule.verdict.valid && rule.filterProblem !== undefined)?.filterProblem;
  return problem === undefined ? undefined : { reason: RouteReason.UnsupportedValue, message: problem };
}

function mirrorRefs(rule: RawRule): { ref: BackendRef; field: string }[] {
  const out: { ref: BackendRef; field: string }[] = [];
  const filters = Array.isArray(rule.filters) ? rule.filters : [];
  filters.forEach((filter, i) => {
    const mirror = (filter as { type?: string; requestMirror?: { backendRef?: BackendRef } })?.requestMirror;
    if ((filter as { type?: string })?.type === 'RequestMirror' && mirror?.backendRef !== undefined) {
      out.push({ ref: mirror.backendRef, field: `filters[${i}].requestMirror.backendRef` });
    }
  });
  return out;
}

/** A parentRef with its defaults filled in, as a string: two refs are the same parent iff the ids are equal. */
export function parentRefId(ref: ParentReference | undefined, routeNamespace: string): string {
  const group = ref?.group ?? GATEWAY_GROUP;
  const kind = ref?.kind ?? 'Gateway';
  const namespace = ref?.namespace || routeNamespace;
  return `${group}/${kind}/${namespace}/${ref?.name ?? ''}#${ref?.sectionName ?? ''}:${ref?.port ?? ''}`;
}

/**
 * Writes our controller's entries into status.parents: an entry for a parent already listed keeps its position,
 * entries for parents we no longer report are removed, new ones are appended. Other controllers' entries are
 * never touched (the spec forbids it).
 */
export function mergeRouteParentStatuses(
  existing: readonly RouteParentStatus[] | undefined,
  ours: readonly RouteParentStatus[],
  controllerName: string,
  routeNamespace = '',
): RouteParentStatus[] {
  const pending = new Map(ours.map((entry) => [parentRefId(entry.parentRef, routeNamespace), entry]));
  const out: RouteParentStatus[] = [];
  for (const entry of Array.isArray(existing) ? existing : []) {
    if (entry?.controllerName !== controllerName) {
      out.push(entry);
      continue;
    }
    const id = parentRefId(entry.parentRef, routeNamespace);
    const replacement = pending.get(id);
    if (replacement !== undefined) {
      out.push(replacement);
      pending.delete(id);
    }
  }
  return [...out, ...pending.values()].slice(0, MAX_PARENT_STATUSES);
}

/** The route's full status: ours merged into what is there. */
export function routeStatusOf(
  route: Route,
  evaluation: RouteEvaluation,
  controllerName: string,
): RouteStatus {
  return {
    parents: mergeRouteParentStatuses(
      route.status?.parents,
      evaluation.parents.map((p) => p.status),
      controllerName,
      evaluation.route.namespace ?? '',
    ),
  };
}

/** Accepted attachments per listener, keyed by `listenerId`: what Gateway and ListenerSet statuses count. */
export function countAttachedRoutes(evaluations: Iterable<RouteEvaluation>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const evaluation of evaluations) {
    for (const { listenerId: id } of attachedListenersOf(evaluation))
      counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** A listener an evaluated route is attached to (an accepted parent's), with the Gateway it belongs to. */
export interface AttachedListener {
  /** `formatResourceKey` of the parent Gateway. */
  readonly gatewayId: string;
  readonly listenerId: string;
  readonly attachment: ListenerAttachment;
}

/**
 * Each listener of an accepted parent once, the first parent naming it first. Computed once per evaluation (they are
 * immutable, and kept until the route or what it reads changes): a Gateway's resolution reads every attached route's
 * on every change of one of them, and formatting their keys again was most of its cost at 10,000 routes.
 */
const attachedListeners = new WeakMap<RouteEvaluation, readonly AttachedListener[]>();

export function attachedListenersOf(evaluation: RouteEvaluation): readonly AttachedListener[] {
  let attached = attachedListeners.get(evaluation);
  if (attached === undefined) {
    const found = new Map<string, AttachedListener>();
    for (const parent of evaluation.parents) {
      if (!parent.accepted || !parent.attachment.accepted) continue;
      const gatewayId = formatResourceKey(parent.gateway);
      for (const attachment of parent.attachment.listeners) {
        const id = listenerId(attachment.owner, attachment.listener);
        if (!found.has(id)) found.set(id, { gatewayId, listenerId: id, attachment });
      }
    }
    attached = [...found.values()];
    attachedListeners.set(evaluation, attached);
  }
  return attached;
}

export function listenerId(owner: ResourceKey, listener: string): string {
  return `${owner.kind}/${owner.namespace ?? ''}/${owner.name}#${listener}`;
}

/** A rule's session persistence (HTTPRoute, GRPCRoute) as the IR carries it, named after the rule when unnamed. */
function sessionField(
  kind: string,
  rule: object,
  defaultName: string,
): { sessionPersistence?: SessionPersistenceIR } {
  if (kind !== 'HTTPRoute' && kind !== 'GRPCRoute') return {};
  const session = sessionPersistenceOf(rule, defaultName);
  return session === undefined ? {} : { sessionPersistence: session };
}
