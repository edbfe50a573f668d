// A rule's backendRefs of an AIGatewayRoute: the AIServiceBackend each names and whether the route may use it (the
// right kind; in its namespace, or in another one whose ReferenceGrant allows AIGatewayRoutes of the route's
// namespace, as Envoy AI Gateway's v1beta1 `namespace` field asks), and its ext_proc backend document, the route's header and body mutations over the
// backend's. Also the shapes a route's evaluation reads (RouteContext) and collects (Translation) rule by rule.

import type { PriorityBackend } from '../gateway-api/route-status.ts';
import type { AiRuleIR } from '../ir/ai.ts';
import type { RateLimitRuleIR } from '../ir/traffic-policies.ts';
import {
  AI_GATEWAY_GROUP,
  type AIGatewayRoute,
  type AIGatewayRouteRuleBackendRef,
  type AIServiceBackend,
  type HTTPBodyMutation,
  type HTTPHeaderMutation,
  type LLMRequestCost,
} from '../resources/ai-gateway.ts';
import type { BackendObjectReference, HTTPRouteRule } from '../resources/gateway-api.ts';
import { formatResourceKey, keyOf, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import { isReferenceAllowed } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { agentgatewayBackendProblem } from './data-planes.ts';
import {
  type ExtProcBackendDocument,
  type ExtProcModelDocument,
  type ExtProcRuleDocument,
  extProcBackendName,
} from './extproc-config.ts';
import { type BackendQuotas, quotasFor } from './quota-policies.ts';
import { type BackendVerdict, resolveAIServiceBackend } from './service-backends.ts';
import type { Problem } from './statuses.ts';

/** What one route's evaluation reads while it translates the rules. */
export interface RouteContext {
  readonly route: AIGatewayRoute;
  readonly key: ResourceKey;
  readonly namespace: string;
  readonly view: ResourceView;
  readonly hostDataPlane: boolean;
  /** Token costs for every rule's ext_proc document; empty when absent or invalid. */
  readonly costs: readonly LLMRequestCost[];
}

/** What translating the rules collects, in rule order. */
export interface Translation {
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
  /** Services and Backends of AIServiceBackends in other namespaces the route may use (formatResourceKey). */
  readonly grantedBackends: Set<string>;
}

/** A backendRef the rule can send to: its name in the ext_proc configuration, Service, weight and priority. */
export interface UsableBackend {
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
 * A backendRef the route may not use (an AIServiceBackend in another namespace no ReferenceGrant allows): in a
 * weighted rule it keeps its share of the rule's requests, which the service answers 500 naming why, as Gateway API
 * answers requests for a backendRef that is not permitted; nothing is routed to it. A fallback rule leaves it out
 * (route-evaluation.ts).
 */
export interface RefusedBackend {
  readonly name: string;
  readonly weight: number;
  readonly priority: number;
  readonly refused: string;
}

/**
 * One backendRef: its ext_proc backend (the route's mutations over the backend's). Undefined, with the problem
 * noted, when the backend cannot be used; a backend whose credentials cannot be used stays, answering 401.
 */
export function translateBackendRef(
  ref: AIGatewayRouteRuleBackendRef,
  [i, j]: readonly [number, number],
  context: RouteContext,
  out: Translation,
): UsableBackend | RefusedBackend | undefined {
  const field = `spec.rules[${i}].backendRefs[${j}]`;
  const found = referencedBackend(ref, field, context);
  if (!found.ok) {
    out.refProblem ??= found.problem;
    if (found.problem.reason !== 'RefNotPermitted') return undefined;
    const weight = typeof ref.weight === 'number' && ref.weight >= 0 ? ref.weight : 1;
    const priority = typeof ref.priority === 'number' && ref.priority >= 0 ? ref.priority : 0;
    return { name: extProcBackendName(context.key, i, j), weight, priority, refused: found.problem.message };
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
  // Its Service or Backend is in its own namespace: the grant that allowed the AIServiceBackend allows them.
  if (verdict.service.namespace !== undefined && verdict.service.namespace !== context.namespace) {
    const { group, kind, namespace, name } = verdict.service;
    out.grantedBackends.add(formatResourceKey(resourceKey(group ?? '', kind ?? 'Service', namespace, name)));
  }
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

/**
 * The AIServiceBackend a backendRef names, when the route may use it: the right kind, in the route's namespace or
 * in one whose ReferenceGrant allows AIGatewayRoutes of the route's namespace to reference AIServiceBackends (the
 * grant Envoy AI Gateway checks).
 */
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
  const allowed = isReferenceAllowed(
    view,
    { group: AI_GATEWAY_GROUP, kind: 'AIGatewayRoute', namespace },
    { group: AI_GATEWAY_GROUP, kind: 'AIServiceBackend', namespace: backendNamespace, name },
  );
  if (!allowed) {
    const message = `${field}: AIServiceBackend ${backendNamespace}/${name} is in another namespace and no ReferenceGrant there allows AIGatewayRoutes of ${namespace} to reference it`;
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
