// An AIGatewayRoute is evaluated as the HTTPRoute Envoy AI Gateway itself would generate: same name and parents,
// one rule per backendRef matching the x-ai-eg-model and x-ai-eg-backend headers the ext_proc service sets, and a
// catch-all last that lets the first pass (no model header yet) reach the service. The ordinary `evaluateRoute`
// then gives attachment, backend resolution and attachedRoutes; what it adds is the route's status and its part
// of the ext_proc configuration.

import type { ParentLookup } from '../gateway-api/attachment.ts';
import { generatedHTTPRoute } from '../gateway-api/generated-route.ts';
import { evaluateRoute, type PriorityBackend, type RouteEvaluation } from '../gateway-api/route-status.ts';
import type { AiRuleIR } from '../ir/ai.ts';
import type { RateLimitRuleIR } from '../ir/traffic-policies.ts';
import {
  AI_GATEWAY_GROUP,
  type AIGatewayRoute,
  type AIGatewayRouteRule,
  type AIGatewayRouteRuleBackendRef,
  type AIGatewayRouteSpec,
  type AIGatewayStatus,
  type AIServiceBackend,
  type HTTPBodyMutation,
  type HTTPHeaderMutation,
  type LLMRequestCost,
} from '../resources/ai-gateway.ts';
import type {
  BackendObjectReference,
  HTTPRoute,
  HTTPRouteRule,
  HTTPValueMatch,
  ParentReference,
} from '../resources/gateway-api.ts';
import {
  formatResourceKey,
  GATEWAY_GROUP,
  keyOf,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import { isReferenceAllowed } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import {
  agentgatewayBackendProblem,
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
  extProcBackendName,
  MODEL_HEADER,
} from './extproc-config.ts';
import { costsWithGlobal } from './gateway-configs.ts';
import { type BackendQuotas, quotasFor } from './quota-policies.ts';
import { costDocument, requestCostsProblem } from './request-costs.ts';
import { type BackendVerdict, resolveAIServiceBackend } from './service-backends.ts';
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

/** What one route's evaluation reads while it translates the rules. */
interface RouteContext {
  readonly route: AIGatewayRoute;
  readonly key: ResourceKey;
  readonly namespace: string;
  readonly view: ResourceView;
  readonly hostDataPlane: boolean;
  /** Token costs for every rule's ext_proc document; empty when absent or invalid. */
  readonly costs: readonly LLMRequestCost[];
}

/** What translating the rules collects, in rule order. */
interface Translation {
  readonly httpRules: HTTPRouteRule[];
  readonly rules: ExtProcRuleDocument[];
  readonly backends: ExtProcBackendDocument[];
  readonly models: Map<string, ExtProcModelDocument>;
  readonly usedBackends: Map<string, ResourceKey>;
  /** Rules left out, each naming its field. */
  readonly routeProblems: string[];
  /** The first backendRef that does not resolve. */
  refProblem: Problem | undefined;
  /** Fallback rules by Envoy rule name: each backendRef's name and priority, in order. */
  readonly fallbacks: Map<string, PriorityBackend[]>;
  /** The routable rules as agentgateway serves them (model/ir/ai.ts). */
  readonly aiRules: AiRuleIR[];
  /** QuotaPolicy limits by Envoy rule name. */
  readonly quotas: Map<string, RateLimitRuleIR[]>;
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
  const matchUnsupported = agentgatewayMatchProblem(at, matches);
  refs.forEach((ref, j) => {
    const backend = translateBackendRef(ref, [i, j], context, out);
    if (backend !== undefined && backend.weight > 0) used.push(backend);
  });
  if (used.length === 0) return;
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
    backends: used.map(({ name, weight, priority }) => ({ name, weight, ...(fallback ? { priority } : {}) })),
    ...(ruleCosts.length > 0 ? { llmRequestCosts: ruleCosts } : {}),
  });
  const ownedBy = typeof rule.modelsOwnedBy === 'string' ? rule.modelsOwnedBy : 'Envoy AI Gateway';
  const created =
    toUnixSeconds(rule.modelsCreatedAt) ?? toUnixSeconds(context.route.metadata?.creationTimestamp) ?? 0;
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

/** A backendRef the rule can send to: its name in the ext_proc configuration, Service, weight and priority. */
interface UsableBackend {
  readonly name: string;
  readonly ruleName: string;
  readonly service: BackendObjectReference;
  readonly weight: number;
  readonly priority: number;
  /** Its ext_proc backend document, which agentgateway's provider is made from too. */
  readonly document: ExtProcBackendDocument;
  /** What agentgateway cannot express of it (data-planes.ts). */
  readonly agentgatewayUnsupported?: string;
  /** The QuotaPolicy limits counting its requests, and the costs they burn (quota-policies.ts). */
  readonly quotas: BackendQuotas;
}

/**
 * One backendRef: its ext_proc backend (the route's mutations over the backend's). Undefined, with the problem
 * noted, when the backend cannot be used; a backend whose credentials cannot be used stays, answering 401.
 */
function translateBackendRef(
  ref: AIGatewayRouteRuleBackendRef,
  [i, j]: readonly [number, number],
  context: RouteContext,
  out: Translation,
): UsableBackend | undefined {
  const field = `spec.rules[${i}].backendRefs[${j}]`;
  const found = referencedBackend(ref, field, context);
  if (!found.ok) {
    out.refProblem ??= found.problem;
    return undefined;
  }
  const { backend, id } = found;
  out.usedBackends.set(formatResourceKey(keyOf(backend)), keyOf(backend));
  const verdict = resolveAIServiceBackend(backend, context.view, context.hostDataPlane);
  if (!verdict.ok) {
    out.refProblem ??= {
      reason: verdict.authProblem === undefined ? 'BackendNotFound' : verdict.authProblem.reason,
      message: `${field}: AIServiceBackend ${id} is not accepted: ${verdict.problem?.message ?? 'invalid'}`,
    };
  }
  if (verdict.service === undefined || verdict.schema === undefined) return undefined;
  const name = extProcBackendName(context.key, i, j);
  const document = backendDocument(name, ref, verdict);
  out.backends.push(document);
  const unsupported = agentgatewayBackendProblem(field, id, document);
  return {
    name,
    document,
    quotas: quotasFor(keyOf(backend), document.modelNameOverride, context.view),
    ...(unsupported === undefined ? {} : { agentgatewayUnsupported: unsupported }),
    ruleName: `rule-${i}-ref-${j}`,
    service: verdict.service,
    weight: typeof ref.weight === 'number' && ref.weight >= 0 ? ref.weight : 1,
    priority: typeof ref.priority === 'number' && ref.priority >= 0 ? ref.priority : 0,
  };
}

/** The AIServiceBackend a backendRef names, when the route may use it (same namespace; the right kind). */
function referencedBackend(
  ref: AIGatewayRouteRuleBackendRef,
  field: string,
  { namespace, view }: RouteContext,
):
  | { readonly ok: true; readonly backend: AIServiceBackend; readonly id: string }
  | { readonly ok: false; readonly problem: Problem } {
  const group = ref?.group;
  const kind = ref?.kind;
  if (
    (group !== undefined && group !== AI_GATEWAY_GROUP) ||
    (kind !== undefined && kind !== 'AIServiceBackend')
  ) {
    const message = `${field}: ${String(group)}/${String(kind)} is not supported; reference an AIServiceBackend`;
    return { ok: false, problem: { reason: 'InvalidKind', message } };
  }
  const backendNamespace =
    typeof ref?.namespace === 'string' && ref.namespace !== '' ? ref.namespace : namespace;
  const name = typeof ref?.name === 'string' ? ref.name : '';
  if (backendNamespace !== namespace) {
    const allowed = isReferenceAllowed(
      view,
      { group: AI_GATEWAY_GROUP, kind: 'AIGatewayRoute', namespace },
      { group: AI_GATEWAY_GROUP, kind: 'AIServiceBackend', namespace: backendNamespace, name },
    );
    const message = allowed
      ? `${field}: AIServiceBackends in other namespaces are not supported yet; create ${name} in ${namespace}`
      : `${field}: AIServiceBackend ${backendNamespace}/${name} is in another namespace and no ReferenceGrant allows it`;
    return { ok: false, problem: { reason: 'RefNotPermitted', message } };
  }
  const backend = view.get('AIServiceBackend', backendNamespace, name) as AIServiceBackend | undefined;
  if (backend === undefined) {
    const message = `${field}: AIServiceBackend ${backendNamespace}/${name} not found`;
    return { ok: false, problem: { reason: 'BackendNotFound', message } };
  }
  return { ok: true, backend, id: `${backendNamespace}/${name}` };
}

function backendDocument(
  name: string,
  ref: AIGatewayRouteRuleBackendRef,
  verdict: BackendVerdict,
): ExtProcBackendDocument {
  const headerMutation = mergeHeaderMutations(verdict.headerMutation, ref.headerMutation);
  const bodyMutation = mergeBodyMutations(verdict.bodyMutation, ref.bodyMutation);
  return {
    name,
    schema: verdict.schema!,
    ...(typeof ref.modelNameOverride === 'string' && ref.modelNameOverride !== ''
      ? { modelNameOverride: ref.modelNameOverride }
      : {}),
    ...(verdict.host === undefined ? {} : { host: verdict.host }),
    ...(verdict.auth === undefined ? {} : { auth: verdict.auth }),
    ...(headerMutation === undefined ? {} : { headerMutation }),
    ...(bodyMutation === undefined ? {} : { bodyMutation }),
  };
}

/** The backend's header mutation with the route's over it: the route wins for a header both name. */
export function mergeHeaderMutations(
  backend: HTTPHeaderMutation | undefined,
  route: HTTPHeaderMutation | undefined,
): HTTPHeaderMutation | undefined {
  if (backend === undefined && route === undefined) return undefined;
  const set = new Map<string, { name: string; value: string }>();
  const remove = new Set<string>();
  for (const mutation of [backend, route]) {
    for (const header of asArray<{ name: string; value: string }>(mutation?.set)) {
      if (typeof header?.name !== 'string') continue;
      const name = header.name.toLowerCase();
      set.set(name, { name, value: String(header.value ?? '') });
      remove.delete(name);
    }
    for (const header of asArray<string>(mutation?.remove)) {
      if (typeof header !== 'string') continue;
      remove.add(header.toLowerCase());
      if (mutation === route) set.delete(header.toLowerCase());
    }
  }
  return {
    ...(set.size > 0 ? { set: [...set.values()] } : {}),
    ...(remove.size > 0 ? { remove: [...remove] } : {}),
  };
}

/** The backend's body mutation with the route's over it: the route wins for a field both name. */
export function mergeBodyMutations(
  backend: HTTPBodyMutation | undefined,
  route: HTTPBodyMutation | undefined,
): HTTPBodyMutation | undefined {
  if (backend === undefined && route === undefined) return undefined;
  const set = new Map<string, { path: string; value: string }>();
  const remove = new Set<string>();
  for (const mutation of [backend, route]) {
    for (const field of asArray<{ path: string; value: string }>(mutation?.set)) {
      if (typeof field?.path !== 'string') continue;
      set.set(field.path, { path: field.path, value: String(field.value ?? '') });
      remove.delete(field.path);
    }
    for (const path of asArray<string>(mutation?.remove)) {
      if (typeof path !== 'string') continue;
      remove.add(path);
      if (mutation === route) set.delete(path);
    }
  }
  return {
    ...(set.size > 0 ? { set: [...set.values()] } : {}),
    ...(remove.size > 0 ? { remove: [...remove] } : {}),
  };
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
