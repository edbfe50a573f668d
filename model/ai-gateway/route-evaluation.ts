// An AIGatewayRoute is evaluated as the HTTPRoute Envoy AI Gateway itself would generate: same name and parents,
// one rule per backendRef matching the x-ai-eg-model and x-ai-eg-backend headers the ext_proc service sets, and a
// catch-all last that lets the first pass (no model header yet) reach the service. The ordinary `evaluateRoute`
// then gives attachment, backend resolution and attachedRoutes; what it adds is the route's status and its part
// of the ext_proc configuration.

import type { ParentLookup } from '../gateway-api/attachment.ts';
import { generatedHTTPRoute } from '../gateway-api/generated-route.ts';
import { evaluateRoute, type RouteEvaluation } from '../gateway-api/route-status.ts';
import type {
  AIGatewayRoute,
  AIGatewayRouteRule,
  AIGatewayRouteRuleBackendRef,
  AIGatewayRouteSpec,
  AIGatewayStatus,
  LLMRequestCost,
} from '../resources/ai-gateway.ts';
import type { HTTPRoute, HTTPRouteRule, HTTPValueMatch, ParentReference } from '../resources/gateway-api.ts';
import { GATEWAY_GROUP, keyOf, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import {
  agentgatewayMatchProblem,
  agentgatewayParents,
  agentgatewayRouteProblem,
  agentgatewayStatus,
} from './data-planes.ts';
import {
  BACKEND_HEADER,
  type ExtProcBackendDocument,
  type ExtProcModelDocument,
  type ExtProcRuleDocument,
  MODEL_HEADER,
} from './extproc-config.ts';
import { costsWithGlobal } from './gateway-configs.ts';
import { costDocument, requestCostsProblem } from './request-costs.ts';
import {
  type RefusedBackend,
  type RouteContext,
  type Translation,
  translateBackendRef,
  type UsableBackend,
} from './route-backends.ts';
import { aiGatewayRouteConditions, type Problem, stampConditions } from './statuses.ts';

/** Name of the rule every AIGatewayRoute gets last: it routes the first pass (no model header yet) to the service. */
export const CATCH_ALL_RULE = 'ai-gateway-catch-all';
/** Names the Envoy rule of a fallback rule (`<prefix><rule index>`). */
export const FALLBACK_RULE_PREFIX = 'ai-gateway-fallback-';
/** Envoy AI Gateway's default request timeout for AI rules (Envoy's 15 s is too short for completions). */
const DEFAULT_REQUEST_TIMEOUT = '60s';

export interface AIGatewayOptions {
  readonly controllerName: string;
  readonly now: string;
  readonly parents?: ParentLookup;
  /** Standalone mode: the data plane runs on this host (Backends may name host-only addresses). */
  readonly hostDataPlane?: boolean;
}

export interface AIGatewayRouteEvaluation {
  /** The route as Envoy routes it: the HTTPRoute evaluation, keyed by the AIGatewayRoute, with `extProc` set. */
  readonly evaluation: RouteEvaluation;
  readonly status: AIGatewayStatus;
  /** Whether any parent is a Gateway of ours (otherwise the route is another controller's: no status). */
  readonly ours: boolean;
  readonly rules: readonly ExtProcRuleDocument[];
  readonly backends: readonly ExtProcBackendDocument[];
  readonly models: readonly ExtProcModelDocument[];
  /** AIServiceBackends the route uses (for their status). */
  readonly usedBackends: readonly ResourceKey[];
}

/**
 * One AIGatewayRoute: its HTTPRoute-equivalent evaluation (for the Gateway IR and attachedRoutes), its status,
 * and its part of the ext_proc configuration. Invalid rules are left out and named in the status.
 */
export function evaluateAIGatewayRoute(
  route: AIGatewayRoute,
  view: ResourceView,
  options: AIGatewayOptions,
): AIGatewayRouteEvaluation {
  const key = keyOf(route);
  const spec: Partial<AIGatewayRouteSpec> = route.spec ?? {};
  const costs = asArray<LLMRequestCost>(spec.llmRequestCosts);
  const kindProblem = clientSchemaProblem(spec) ?? requestCostsProblem(costs);
  const valid = kindProblem === undefined;
  const gateways = parentRefsOf(spec)
    .filter((ref) => (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (ref.kind ?? 'Gateway') === 'Gateway')
    .map((ref) => resourceKey(GATEWAY_GROUP, 'Gateway', ref.namespace || (key.namespace ?? ''), ref.name));
  const withGlobal = costsWithGlobal(costs, gateways, view);
  const context: RouteContext = {
    route,
    key,
    namespace: key.namespace ?? '',
    view,
    hostDataPlane: options.hostDataPlane === true,
    costs: valid ? withGlobal.costs : [],
  };
  const out = translateRules(asArray<AIGatewayRouteRule>(spec.rules), context);

  const http = evaluateRoute(asHTTPRoute(route, key, spec, valid ? out.httpRules : []), view, {
    controllerName: options.controllerName,
    now: options.now,
    ...(options.parents === undefined ? {} : { parents: options.parents }),
    ...(options.hostDataPlane === true ? { hostDataPlane: true } : {}),
    ...(out.grantedBackends.size === 0 ? {} : { grantedBackends: out.grantedBackends }),
  });
  const routeUnsupported = agentgatewayRouteProblem(asArray(spec.hostnames));
  const rulesUnsupported = out.aiRules.flatMap((rule) =>
    rule.agentgatewayUnsupported === undefined ? [] : [rule.agentgatewayUnsupported],
  );
  const agentgateway = agentgatewayStatus(http, agentgatewayParents(http, view), {
    ...(routeUnsupported === undefined ? {} : { route: routeUnsupported }),
    rules: rulesUnsupported,
    served: out.aiRules.length - rulesUnsupported.length,
  });
  const findings = {
    kindProblem,
    refProblem: out.refProblem,
    routeProblems: out.routeProblems,
    models: out.rules.flatMap((r) => r.models),
    ...(agentgateway.problem === undefined ? {} : { dataPlaneProblem: agentgateway.problem }),
    ...(agentgateway.note === undefined ? {} : { dataPlaneNote: agentgateway.note }),
    ...(withGlobal.unused.length === 0 ? {} : { costsNote: withGlobal.unused.join('; ') }),
  };
  const desired = aiGatewayRouteConditions(http, findings, out.rules.length > 0);
  const rules =
    out.fallbacks.size === 0 && out.quotas.size === 0
      ? http.rules
      : http.rules.map((rule) => {
          const priorities = rule.name === undefined ? undefined : out.fallbacks.get(rule.name);
          const quotaLimits = rule.name === undefined ? undefined : out.quotas.get(rule.name);
          return {
            ...rule,
            ...(priorities === undefined ? {} : { priorityFallback: priorities }),
            ...(quotaLimits === undefined ? {} : { quotaLimits }),
          };
        });
  return {
    evaluation: {
      ...http,
      rules,
      route: key,
      extProc: true,
      ai: {
        rules: valid ? out.aiRules : [],
        ...(routeUnsupported === undefined ? {} : { agentgatewayUnsupported: routeUnsupported }),
      },
    },
    status: {
      conditions: stampConditions(route.status?.conditions, desired, route.metadata?.generation, options.now),
    },
    ours: http.parents.length > 0,
    rules: valid ? out.rules : [],
    backends: valid ? out.backends : [],
    models: valid ? [...out.models.values()] : [],
    usedBackends: [...out.usedBackends.values()],
  };
}

/** v1alpha1 `spec.schema`: the client-facing schema, of which only OpenAI exists. */
function clientSchemaProblem(spec: Partial<AIGatewayRouteSpec>): Problem | undefined {
  if (spec.schema === undefined || spec.schema?.name === 'OpenAI') return undefined;
  return {
    reason: 'UnsupportedValue',
    message: `spec.schema.name: only OpenAI is supported as the client schema, not '${String(spec.schema?.name)}'`,
  };
}

/** Every rule's HTTPRoute rules and ext_proc rule, then the catch-all. */
function translateRules(rules: readonly AIGatewayRouteRule[], context: RouteContext): Translation {
  const out: Translation = {
    httpRules: [],
    rules: [],
    backends: [],
    models: new Map(),
    usedBackends: new Map(),
    routeProblems: [],
    refProblem: undefined,
    fallbacks: new Map(),
    aiRules: [],
    quotas: new Map(),
    grantedBackends: new Set(),
  };
  for (const [i, rule] of rules.entries()) translateRule(rule, i, context, out);
  // Before the service has read the body no model header exists: this rule lets the first pass reach it.
  out.httpRules.push({
    name: CATCH_ALL_RULE,
    matches: [{ path: { type: 'PathPrefix', value: '/' } }],
    backendRefs: [],
  });
  return out;
}

/** One rule: its models (from the x-ai-eg-model matches), one HTTPRoute rule per usable backendRef. */
function translateRule(rule: AIGatewayRouteRule, i: number, context: RouteContext, out: Translation): void {
  const at = `spec.rules[${i}]`;
  const matches = asArray<{ headers?: HTTPValueMatch[] }>(rule?.matches);
  const models = ruleModels(matches, at, out.routeProblems);
  if (models === undefined) return;
  const refs = asArray<AIGatewayRouteRuleBackendRef>(rule?.backendRefs);
  if (refs.length === 0) {
    out.routeProblems.push(`${at}.backendRefs: needs at least one AIServiceBackend`);
    return;
  }
  const used: UsableBackend[] = [];
  /** The backendRefs with a share, in order: usable or refused. */
  const shares: (UsableBackend | RefusedBackend)[] = [];
  const matchUnsupported = agentgatewayMatchProblem(at, matches);
  refs.forEach((ref, j) => {
    const backend = translateBackendRef(ref, [i, j], context, out);
    if (backend === undefined || backend.weight === 0) return;
    shares.push(backend);
    if (!('refused' in backend)) used.push(backend);
  });
  const created =
    toUnixSeconds(rule.modelsCreatedAt) ?? toUnixSeconds(context.route.metadata?.creationTimestamp) ?? 0;
  if (used.length === 0) {
    // Refused backendRefs alone: the service answers the rule's requests 500 naming why; nothing is routed. On
    // agentgateway the rule has no backend to call: its models go to a backend nothing publishes (500).
    if (shares.length === 0) return;
    out.rules.push({ models, backends: shares.map(target) });
    out.aiRules.push({
      index: i,
      models,
      created,
      backends: [],
      ...(matchUnsupported === undefined ? {} : { agentgatewayUnsupported: matchUnsupported }),
    });
    return;
  }
  // A fallback rule as written (backendRefs of several priorities) leaves refused backendRefs out, as Envoy AI
  // Gateway does (it gives them weight 0): its other backends serve every request, even when a single priority
  // remains. A weighted rule keeps their shares, answered 500.
  const written = new Set(shares.map((backend) => backend.priority)).size > 1;
  const targets = written ? used : shares;
  const fallback = new Set(used.map((backend) => backend.priority)).size > 1;
  // A fallback rule is one Envoy rule for every priority: its backends' quotas count all its requests.
  const quotaRules = fallback
    ? [{ name: `${FALLBACK_RULE_PREFIX}${i}`, backends: used }]
    : used.map((backend) => ({ name: backend.ruleName, backends: [backend] }));
  for (const { name, backends } of quotaRules) {
    const limits = dedupe(
      backends.flatMap((backend) => backend.quotas.limits),
      (limit) => `${limit.owner.name}/${limit.index}`,
    );
    if (limits.length > 0) out.quotas.set(name, limits);
  }
  const quotaCosts = dedupe(
    used.flatMap((backend) => backend.quotas.costs),
    (cost) => cost.metadataKey,
  );
  const ruleCosts = [...context.costs.map(costDocument), ...quotaCosts];
  if (fallback) {
    out.httpRules.push(fallbackRule(i, used, matches, rule));
    out.fallbacks.set(
      `${FALLBACK_RULE_PREFIX}${i}`,
      used.map(({ name, priority }) => ({ name, priority })),
    );
  } else for (const backend of used) out.httpRules.push(backendRule(backend, matches, rule));
  out.rules.push({
    models,
    backends: fallback
      ? used.map(({ name, weight, priority }) => ({ name, weight, priority }))
      : targets.map(target),
    ...(ruleCosts.length > 0 ? { llmRequestCosts: ruleCosts } : {}),
  });
  const ownedBy = typeof rule.modelsOwnedBy === 'string' ? rule.modelsOwnedBy : 'Envoy AI Gateway';
  const quotaUnsupported =
    quotaCosts.length > 0
      ? `${at}.backendRefs: a QuotaPolicy counts their tokens, which Switchyard does not program on agentgateway`
      : undefined;
  const unsupported =
    matchUnsupported ??
    used.map((backend) => backend.agentgatewayUnsupported).find(Boolean) ??
    quotaUnsupported;
  out.aiRules.push({
    index: i,
    models,
    created,
    backends: used.map(({ document, weight, priority }) => ({ backend: document, weight, priority })),
    ...(unsupported === undefined ? {} : { agentgatewayUnsupported: unsupported }),
  });
  const hostnames = asArray<string>(context.route.spec?.hostnames).filter((h) => typeof h === 'string');
  for (const model of models) {
    if (!out.models.has(model))
      out.models.set(model, {
        name: model,
        ownedBy,
        created,
        ...(hostnames.length > 0 ? { hostnames } : {}),
      });
  }
}

/** A rule's backend as the ext_proc configuration names it (weight, and why it is refused when it is). */
function target({
  name,
  weight,
  refused,
}: {
  name: string;
  weight: number;
  refused?: string;
}): ExtProcRuleDocument['backends'][number] {
  return { name, weight, ...(refused === undefined ? {} : { refused }) };
}

/** The model of each match (an Exact x-ai-eg-model header); undefined, with the problem noted, when one lacks it. */
function ruleModels(
  matches: readonly { headers?: HTTPValueMatch[] }[],
  at: string,
  problems: string[],
): string[] | undefined {
  const models: string[] = [];
  for (const [m, match] of matches.entries()) {
    const model = asArray<HTTPValueMatch>(match?.headers).find(
      (h) =>
        typeof h?.name === 'string' &&
        h.name.toLowerCase() === MODEL_HEADER &&
        (h.type ?? 'Exact') === 'Exact',
    );
    if (model === undefined || typeof model.value !== 'string' || model.value === '') {
      problems.push(
        `${at}.matches[${m}]: needs an Exact ${MODEL_HEADER} header match (the ext_proc service picks the backend by model)`,
      );
      return undefined;
    }
    models.push(model.value);
  }
  if (models.length > 0) return models;
  problems.push(`${at}: needs matches with an Exact ${MODEL_HEADER} header`);
  return undefined;
}

/** Envoy's part of one backendRef: the rule's matches plus x-ai-eg-backend, to the backend's Service. */
function backendRule(
  backend: UsableBackend,
  matches: readonly { headers?: HTTPValueMatch[] }[],
  rule: AIGatewayRouteRule,
): HTTPRouteRule {
  return {
    name: backend.ruleName,
    matches: modelMatches(matches, { type: 'Exact', name: BACKEND_HEADER, value: backend.name }),
    backendRefs: [{ ...backend.service, weight: 1 }],
    timeouts: ruleTimeouts(rule),
  };
}

/**
 * A fallback rule (backends at several priorities): one rule for the model, to every backend's Service in ref
 * order; the IR marks it with each backend's name and priority so the data plane makes one cluster with a
 * locality per backend (see `fallbackPriorities` and docs/extproc.md).
 */
function fallbackRule(
  i: number,
  backends: readonly UsableBackend[],
  matches: readonly { headers?: HTTPValueMatch[] }[],
  rule: AIGatewayRouteRule,
): HTTPRouteRule {
  return {
    name: `${FALLBACK_RULE_PREFIX}${i}`,
    matches: modelMatches(matches),
    backendRefs: backends.map((backend) => ({ ...backend.service, weight: backend.weight })),
    timeouts: ruleTimeouts(rule),
  };
}

function modelMatches(matches: readonly { headers?: HTTPValueMatch[] }[], ...extra: HTTPValueMatch[]) {
  return matches.map((match) => ({
    path: { type: 'PathPrefix' as const, value: '/' },
    headers: [...asArray<HTTPValueMatch>(match?.headers), ...extra],
  }));
}

function ruleTimeouts(rule: AIGatewayRouteRule): { request: string; backendRequest?: string } {
  return {
    request: typeof rule?.timeouts?.request === 'string' ? rule.timeouts.request : DEFAULT_REQUEST_TIMEOUT,
    ...(typeof rule?.timeouts?.backendRequest === 'string'
      ? { backendRequest: rule.timeouts.backendRequest }
      : {}),
  };
}

/** The HTTPRoute Envoy AI Gateway would generate for the route: same name, namespace, parents and hostnames. */
function asHTTPRoute(
  route: AIGatewayRoute,
  key: ResourceKey,
  spec: Partial<AIGatewayRouteSpec>,
  rules: HTTPRouteRule[],
): HTTPRoute {
  return generatedHTTPRoute(route.metadata, key, parentRefsOf(spec), spec.hostnames, rules);
}

/** The parents of an AIGatewayRoute: `parentRefs`, or v1alpha1 `targetRefs` (Gateways in its namespace). */
export function parentRefsOf(spec: Partial<AIGatewayRouteSpec>): ParentReference[] {
  const parents = asArray<ParentReference>(spec.parentRefs).filter((ref) => typeof ref?.name === 'string');
  if (parents.length > 0) return parents;
  return asArray<{ group?: string; kind?: string; name: string; sectionName?: string }>(spec.targetRefs)
    .filter((ref) => typeof ref?.name === 'string')
    .map((ref) => ({
      group: ref.group ?? GATEWAY_GROUP,
      kind: ref.kind ?? 'Gateway',
      name: ref.name,
      ...(typeof ref.sectionName === 'string' ? { sectionName: ref.sectionName } : {}),
    }));
}

function toUnixSeconds(time: unknown): number | undefined {
  if (typeof time !== 'string') return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** The items of `list` with a key not seen before, in order. */
function dedupe<T>(list: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return list.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
