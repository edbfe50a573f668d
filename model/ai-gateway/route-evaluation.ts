// An AIGatewayRoute is evaluated as the HTTPRoute Envoy AI Gateway itself would generate: same name and parents,
// one rule per backendRef matching the x-ai-eg-model and x-ai-eg-backend headers the ext_proc service sets, and a
// catch-all last that lets the first pass (no model header yet) reach the service. The ordinary `evaluateRoute`
// then gives attachment, backend resolution and attachedRoutes; what it adds is the route's status and its part
// of the ext_proc configuration.

import type { ParentLookup } from '../gateway-api/attachment.ts';
import { generatedHTTPRoute } from '../gateway-api/generated-route.ts';
import { evaluateRoute, type RouteEvaluation } from '../gateway-api/route-status.ts';
import {
  AI_GATEWAY_GROUP,
  type AIGatewayRoute,
  type AIGatewayRouteRule,
  type AIGatewayRouteRuleBackendRef,
  type AIGatewayRouteSpec,
  type AIGatewayStatus,
  type AIServiceBackend,
  type LLMRequestCost,
} from '../resources/ai-gateway.ts';
import type {
  BackendObjectReference,
  HTTPRoute,
  HTTPRouteRule,
  HTTPValueMatch,
  ParentReference,
} from '../resources/gateway-api.ts';
import { formatResourceKey, GATEWAY_GROUP, keyOf, type ResourceKey } from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import { isReferenceAllowed } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import {
  BACKEND_HEADER,
  type ExtProcBackendDocument,
  type ExtProcModelDocument,
  type ExtProcRuleDocument,
  extProcBackendName,
  MODEL_HEADER,
} from './extproc-config.ts';
import { costDocument, requestCostsProblem } from './request-costs.ts';
import { type BackendVerdict, resolveAIServiceBackend } from './service-backends.ts';
import { aiGatewayRouteConditions, type Problem, stampConditions } from './statuses.ts';

/** Name of the rule every AIGatewayRoute gets last: it routes the first pass (no model header yet) to the service. */
export const CATCH_ALL_RULE = 'ai-gateway-catch-all';
/** Envoy AI Gateway's default request timeout for AI rules (Envoy's 15 s is too short for completions). */
const DEFAULT_REQUEST_TIMEOUT = '60s';

export interface AIGatewayOptions {
  readonly controllerName: string;
  readonly now: string;
  readonly parents?: ParentLookup;
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
  const context: RouteContext = {
    route,
    key,
    namespace: key.namespace ?? '',
    view,
    costs: valid ? costs : [],
  };
  const out = translateRules(asArray<AIGatewayRouteRule>(spec.rules), context);

  const http = evaluateRoute(asHTTPRoute(route, key, spec, valid ? out.httpRules : []), view, {
    controllerName: options.controllerName,
    now: options.now,
    ...(options.parents === undefined ? {} : { parents: options.parents }),
  });
  const findings = {
    kindProblem,
    refProblem: out.refProblem,
    routeProblems: out.routeProblems,
    models: out.rules.flatMap((r) => r.models),
  };
  const desired = aiGatewayRouteConditions(http, findings, out.rules.length > 0);
  return {
    evaluation: { ...http, route: key, extProc: true },
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
  const ruleBackends: { name: string; weight: number }[] = [];
  refs.forEach((ref, j) => {
    const backend = translateBackendRef(rule, matches, ref, [i, j], context, out);
    if (backend !== undefined && backend.weight > 0) ruleBackends.push(backend);
  });
  if (ruleBackends.length === 0) return;
  out.rules.push({
    models,
    backends: ruleBackends,
    ...(context.costs.length > 0 ? { llmRequestCosts: context.costs.map(costDocument) } : {}),
  });
  const ownedBy = typeof rule.modelsOwnedBy === 'string' ? rule.modelsOwnedBy : 'Envoy AI Gateway';
  const created =
    toUnixSeconds(rule.modelsCreatedAt) ?? toUnixSeconds(context.route.metadata?.creationTimestamp) ?? 0;
  for (const model of models)
    if (!out.models.has(model)) out.models.set(model, { name: model, ownedBy, created });
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

/**
 * One backendRef: its ext_proc backend and the HTTPRoute rule for the requests the service sends to it (named in
 * x-ai-eg-backend). Undefined, with the problem noted, when the backend cannot be used.
 */
function translateBackendRef(
  rule: AIGatewayRouteRule,
  matches: readonly { headers?: HTTPValueMatch[] }[],
  ref: AIGatewayRouteRuleBackendRef,
  [i, j]: readonly [number, number],
  context: RouteContext,
  out: Translation,
): { name: string; weight: number } | undefined {
  const field = `spec.rules[${i}].backendRefs[${j}]`;
  const found = referencedBackend(ref, field, context);
  if (!found.ok) {
    out.refProblem ??= found.problem;
    return undefined;
  }
  const { backend, id } = found;
  out.usedBackends.set(formatResourceKey(keyOf(backend)), keyOf(backend));
  const verdict = resolveAIServiceBackend(backend, context.view);
  if (!verdict.ok || verdict.service === undefined || verdict.schema === undefined) {
    out.refProblem ??= {
      reason: 'BackendNotFound',
      message: `${field}: AIServiceBackend ${id} is not accepted: ${verdict.problem?.message ?? 'invalid'}`,
    };
    return undefined;
  }
  const name = extProcBackendName(context.key, i, j);
  out.backends.push(backendDocument(name, ref, verdict));
  out.httpRules.push(backendRule(`rule-${i}-ref-${j}`, name, matches, rule, verdict.service));
  return { name, weight: typeof ref.weight === 'number' && ref.weight >= 0 ? ref.weight : 1 };
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
  return {
    name,
    schema: verdict.schema!,
    ...(typeof ref.modelNameOverride === 'string' && ref.modelNameOverride !== ''
      ? { modelNameOverride: ref.modelNameOverride }
      : {}),
    ...(verdict.host === undefined ? {} : { host: verdict.host }),
    ...(verdict.auth === undefined ? {} : { auth: verdict.auth }),
  };
}

/** Envoy's part of one backendRef: the rule's matches plus x-ai-eg-backend, to the backend's Service. */
function backendRule(
  ruleName: string,
  backendName: string,
  matches: readonly { headers?: HTTPValueMatch[] }[],
  rule: AIGatewayRouteRule,
  service: BackendObjectReference,
): HTTPRouteRule {
  return {
    name: ruleName,
    matches: matches.map((match) => ({
      path: { type: 'PathPrefix', value: '/' },
      headers: [
        ...asArray<HTTPValueMatch>(match?.headers),
        { type: 'Exact', name: BACKEND_HEADER, value: backendName },
      ],
    })),
    backendRefs: [{ ...service, weight: 1 }],
    timeouts: {
      request: typeof rule?.timeouts?.request === 'string' ? rule.timeouts.request : DEFAULT_REQUEST_TIMEOUT,
      ...(typeof rule?.timeouts?.backendRequest === 'string'
        ? { backendRequest: rule.timeouts.backendRequest }
        : {}),
    },
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
