// Envoy AI Gateway's kinds (aigateway.envoyproxy.io: AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy) as
// pure functions: an AIGatewayRoute becomes the HTTPRoute Envoy routes it as (rules matching the x-ai-eg-model and
// x-ai-eg-backend headers the ext_proc service sets, plus a catch-all that lets the first pass reach the service),
// the ext_proc configuration (dataplane/extproc/config.ts format: rules by model, backends with their schema,
// model override and credentials, token costs), and the Accepted / NotAccepted conditions of all three kinds.
import { createRequire } from 'node:module';
import type { ParentLookup } from '../gateway-api/attachment.ts';
import { evaluateRoute, type RouteEvaluation } from '../gateway-api/route-status.ts';
import {
  AI_GATEWAY_GROUP,
  type AIGatewayRoute,
  type AIGatewayRouteRule,
  type AIGatewayRouteRuleBackendRef,
  type AIGatewayRouteSpec,
  type AIGatewayStatus,
  type AIServiceBackend,
  type AIServiceBackendSpec,
  type BackendSecurityPolicy,
  type BackendSecurityPolicySpec,
  type LLMRequestCost,
  type VersionedAPISchema,
} from '../resources/ai-gateway.ts';
import type {
  BackendObjectReference,
  HTTPRoute,
  HTTPRouteRule,
  HTTPValueMatch,
  ParentReference,
  SecretObjectReference,
} from '../resources/gateway-api.ts';
import type { Condition, ObjectMeta } from '../resources/kubernetes.ts';
import {
  ANY_NAME,
  CORE_GROUP,
  formatResourceKey,
  GATEWAY_GROUP,
  keyOf,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import { isReferenceAllowed, normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';

export const MODEL_HEADER = 'x-ai-eg-model';
export const BACKEND_HEADER = 'x-ai-eg-backend';
/** Name of the rule every AIGatewayRoute gets last: it routes the first pass (no model header yet) to the service. */
export const CATCH_ALL_RULE = 'ai-gateway-catch-all';
/** Envoy AI Gateway's default request timeout for AI rules (Envoy's 15 s is too short for completions). */
const DEFAULT_REQUEST_TIMEOUT = '60s';
const SCHEMAS = ['OpenAI', 'AzureOpenAI', 'Anthropic', 'AWSBedrock', 'GCPVertexAI', 'GCPAnthropic'];
const COST_TYPES = ['InputToken', 'CachedInputToken', 'OutputToken', 'TotalToken', 'CEL'];

let parseCel: typeof import('@bufbuild/cel').parse | undefined;
/** The CEL parser, loaded on the first CEL cost: the library costs ~25 MiB RSS that most planes never need. */
function celParser(): typeof import('@bufbuild/cel').parse {
  parseCel ??= (createRequire(import.meta.url)('@bufbuild/cel') as typeof import('@bufbuild/cel')).parse;
  return parseCel;
}

// ---- The ext_proc configuration document (see docs/extproc.md) ---------------------------------------------

export type ExtProcAuth =
  | { apiKey: { key: string } }
  | { azureAPIKey: { key: string } }
  | { anthropicAPIKey: { key: string } }
  | { aws: { region: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string } };

export interface ExtProcBackendDocument {
  name: string;
  schema: VersionedAPISchema;
  modelNameOverride?: string;
  /** The provider's host name (an ExternalName Service): the service sets it as :authority (and signs it). */
  host?: string;
  auth?: ExtProcAuth;
}

export interface ExtProcRuleDocument {
  models: string[];
  backends: { name: string; weight: number }[];
  llmRequestCosts?: LLMRequestCost[];
}

export interface ExtProcConfigDocument {
  models: { name: string; ownedBy: string; created: number }[];
  rules: ExtProcRuleDocument[];
  backends: ExtProcBackendDocument[];
}

// ---- Evaluation ---------------------------------------------------------------------------------------------

export interface AIStatusUpdate {
  readonly key: ResourceKey;
  readonly status: AIGatewayStatus;
}

export interface AIGatewayRouteEvaluation {
  /** The route as Envoy routes it: the HTTPRoute evaluation, keyed by the AIGatewayRoute, with `extProc` set. */
  readonly evaluation: RouteEvaluation;
  readonly status: AIGatewayStatus;
  /** Whether any parent is a Gateway of ours (otherwise the route is another controller's: no status). */
  readonly ours: boolean;
  readonly rules: readonly ExtProcRuleDocument[];
  readonly backends: readonly ExtProcBackendDocument[];
  readonly models: readonly { name: string; ownedBy: string; created: number }[];
  /** AIServiceBackends the route uses (for their status). */
  readonly usedBackends: readonly ResourceKey[];
}

export interface AIGatewayOptions {
  readonly controllerName: string;
  readonly now: string;
  readonly parents?: ParentLookup;
}

interface Problem {
  readonly reason: string;
  readonly message: string;
}

/** A resolved AIServiceBackend: where Envoy sends its traffic and what the ext_proc service needs. */
interface BackendVerdict {
  readonly ok: boolean;
  readonly problem?: Problem;
  readonly service?: BackendObjectReference;
  readonly schema?: VersionedAPISchema;
  readonly host?: string;
  readonly auth?: ExtProcAuth;
}

/** What an AI object's evaluation reads (for the reverse dependency index). */
export function aiGatewayDependencies(object: {
  kind?: unknown;
  metadata?: ObjectMeta;
  spec?: unknown;
}): ResourceKey[] {
  const namespace = typeof object?.metadata?.namespace === 'string' ? object.metadata.namespace : '';
  const out: ResourceKey[] = [];
  if (object?.kind === 'AIGatewayRoute') {
    const spec = (object.spec ?? {}) as Partial<AIGatewayRouteSpec>;
    out.push(resourceKey(CORE_GROUP, 'Namespace', undefined, namespace));
    for (const ref of parentRefsOf(spec)) {
      out.push(
        resourceKey(ref.group ?? GATEWAY_GROUP, ref.kind ?? 'Gateway', ref.namespace || namespace, ref.name),
      );
    }
    for (const rule of asArray<AIGatewayRouteRule>(spec.rules)) {
      for (const ref of asArray<AIGatewayRouteRuleBackendRef>(rule?.backendRefs)) {
        if (typeof ref?.name !== 'string') continue;
        out.push(resourceKey(AI_GATEWAY_GROUP, 'AIServiceBackend', ref.namespace || namespace, ref.name));
      }
    }
  } else if (object?.kind === 'AIServiceBackend') {
    const spec = (object.spec ?? {}) as Partial<AIServiceBackendSpec>;
    const ref = spec.backendRef;
    if (typeof ref?.name === 'string') {
      out.push(
        resourceKey(normalizeGroup(ref.group), ref.kind ?? 'Service', ref.namespace || namespace, ref.name),
      );
    }
    // Policies name their targets; any policy in the namespace may target this backend.
    out.push(resourceKey(AI_GATEWAY_GROUP, 'BackendSecurityPolicy', namespace, ANY_NAME));
  } else if (object?.kind === 'BackendSecurityPolicy') {
    const spec = (object.spec ?? {}) as Partial<BackendSecurityPolicySpec>;
    for (const holder of [
      spec.apiKey,
      spec.azureAPIKey,
      spec.anthropicAPIKey,
      spec.awsCredentials?.credentialsFile,
    ]) {
      const ref = holder?.secretRef;
      if (typeof ref?.name === 'string')
        out.push(resourceKey(CORE_GROUP, 'Secret', ref.namespace || namespace, ref.name));
    }
  }
  return out;
}

/** The parents of an AIGatewayRoute: `parentRefs`, or v1alpha1 `targetRefs` (Gateways in its namespace). */
function parentRefsOf(spec: Partial<AIGatewayRouteSpec>): ParentReference[] {
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

/** The name the ext_proc service and Envoy know one backendRef of one rule by (x-ai-eg-backend). */
export function extProcBackendName(route: ResourceKey, rule: number, ref: number): string {
  return `${route.namespace ?? ''}/${route.name}/rule/${rule}/ref/${ref}`;
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
  const namespace = key.namespace ?? '';
  const spec: Partial<AIGatewayRouteSpec> = route.spec ?? {};
  const routeProblems: string[] = [];
  let refProblem: Problem | undefined;
  let kindProblem: Problem | undefined;

  if (spec.schema !== undefined && spec.schema?.name !== 'OpenAI') {
    kindProblem = {
      reason: 'UnsupportedValue',
      message: `spec.schema.name: only OpenAI is supported as the client schema, not '${String(spec.schema?.name)}'`,
    };
  }
  const costs = asArray<LLMRequestCost>(spec.llmRequestCosts);
  costs.forEach((cost, i) => {
    const at = `spec.llmRequestCosts[${i}]`;
    if (typeof cost?.metadataKey !== 'string' || cost.metadataKey === '')
      kindProblem ??= { reason: 'UnsupportedValue', message: `${at}.metadataKey: required` };
    else if (!COST_TYPES.includes(String(cost.type)))
      kindProblem ??= {
        reason: 'UnsupportedValue',
        message: `${at}.type: must be one of ${COST_TYPES.join(', ')}, not '${String(cost.type)}'`,
      };
    else if (cost.type === 'CEL') {
      try {
        celParser()(String(cost.cel ?? ''));
      } catch (error) {
        kindProblem ??= {
          reason: 'UnsupportedValue',
          message: `${at}.cel: the CEL expression does not parse: ${(error as Error).message}`,
        };
      }
    }
  });

  const httpRules: HTTPRouteRule[] = [];
  const rules: ExtProcRuleDocument[] = [];
  const backends: ExtProcBackendDocument[] = [];
  const models = new Map<string, { name: string; ownedBy: string; created: number }>();
  const usedBackends = new Map<string, ResourceKey>();
  const routeCreated = toUnixSeconds(route.metadata?.creationTimestamp) ?? 0;

  asArray<AIGatewayRouteRule>(spec.rules).forEach((rule, i) => {
    const at = `spec.rules[${i}]`;
    const matches = asArray<{ headers?: HTTPValueMatch[] }>(rule?.matches);
    const ruleModels: string[] = [];
    for (const [m, match] of matches.entries()) {
      const model = asArray<HTTPValueMatch>(match?.headers).find(
        (h) =>
          typeof h?.name === 'string' &&
          h.name.toLowerCase() === MODEL_HEADER &&
          (h.type ?? 'Exact') === 'Exact',
      );
      if (model === undefined || typeof model.value !== 'string' || model.value === '') {
        routeProblems.push(
          `${at}.matches[${m}]: needs an Exact ${MODEL_HEADER} header match (the ext_proc service picks the backend by model)`,
        );
        return;
      }
      ruleModels.push(model.value);
    }
    if (ruleModels.length === 0) {
      routeProblems.push(`${at}: needs matches with an Exact ${MODEL_HEADER} header`);
      return;
    }
    const refs = asArray<AIGatewayRouteRuleBackendRef>(rule?.backendRefs);
    if (refs.length === 0) {
      routeProblems.push(`${at}.backendRefs: needs at least one AIServiceBackend`);
      return;
    }
    const ruleBackends: { name: string; weight: number }[] = [];
    refs.forEach((ref, j) => {
      const field = `${at}.backendRefs[${j}]`;
      const group = ref?.group;
      const kind = ref?.kind;
      if (
        (group !== undefined && group !== AI_GATEWAY_GROUP) ||
        (kind !== undefined && kind !== 'AIServiceBackend')
      ) {
        refProblem ??= {
          reason: 'InvalidKind',
          message: `${field}: ${String(group)}/${String(kind)} is not supported; reference an AIServiceBackend`,
        };
        return;
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
        refProblem ??= {
          reason: 'RefNotPermitted',
          message: allowed
            ? `${field}: AIServiceBackends in other namespaces are not supported yet; create ${name} in ${namespace}`
            : `${field}: AIServiceBackend ${backendNamespace}/${name} is in another namespace and no ReferenceGrant allows it`,
        };
        return;
      }
      const backend = view.get('AIServiceBackend', backendNamespace, name) as AIServiceBackend | undefined;
      if (backend === undefined) {
        refProblem ??= {
          reason: 'BackendNotFound',
          message: `${field}: AIServiceBackend ${backendNamespace}/${name} not found`,
        };
        return;
      }
      usedBackends.set(formatResourceKey(keyOf(backend)), keyOf(backend));
      const verdict = resolveAIServiceBackend(backend, view);
      if (!verdict.ok || verdict.service === undefined || verdict.schema === undefined) {
        refProblem ??= {
          reason: 'BackendNotFound',
          message: `${field}: AIServiceBackend ${backendNamespace}/${name} is not accepted: ${verdict.problem?.message ?? 'invalid'}`,
        };
        return;
      }
      const weight = typeof ref.weight === 'number' && ref.weight >= 0 ? ref.weight : 1;
      const backendName = extProcBackendName(key, i, j);
      backends.push({
        name: backendName,
        schema: verdict.schema,
        ...(typeof ref.modelNameOverride === 'string' && ref.modelNameOverride !== ''
          ? { modelNameOverride: ref.modelNameOverride }
          : {}),
        ...(verdict.host === undefined ? {} : { host: verdict.host }),
        ...(verdict.auth === undefined ? {} : { auth: verdict.auth }),
      });
      if (weight > 0) ruleBackends.push({ name: backendName, weight });
      // Envoy's part: the requests the service sent to this backend (it names it in x-ai-eg-backend).
      httpRules.push({
        name: `rule-${i}-ref-${j}`,
        matches: matches.map((match) => ({
          path: { type: 'PathPrefix', value: '/' },
          headers: [
            ...asArray<HTTPValueMatch>(match?.headers),
            { type: 'Exact', name: BACKEND_HEADER, value: backendName },
          ],
        })),
        backendRefs: [{ ...verdict.service, weight: 1 }],
        timeouts: {
          request:
            typeof rule?.timeouts?.request === 'string' ? rule.timeouts.request : DEFAULT_REQUEST_TIMEOUT,
          ...(typeof rule?.timeouts?.backendRequest === 'string'
            ? { backendRequest: rule.timeouts.backendRequest }
            : {}),
        },
      });
    });
    if (ruleBackends.length === 0) return;
    rules.push({
      models: ruleModels,
      backends: ruleBackends,
      ...(costs.length > 0 && kindProblem === undefined ? { llmRequestCosts: costs.map(costDocument) } : {}),
    });
    const ownedBy = typeof rule.modelsOwnedBy === 'string' ? rule.modelsOwnedBy : 'Envoy AI Gateway';
    const created = toUnixSeconds(rule.modelsCreatedAt) ?? routeCreated;
    for (const model of ruleModels)
      if (!models.has(model)) models.set(model, { name: model, ownedBy, created });
  });
  // Before the service has read the body no model header exists: this rule lets the first pass reach it.
  httpRules.push({
    name: CATCH_ALL_RULE,
    matches: [{ path: { type: 'PathPrefix', value: '/' } }],
    backendRefs: [],
  });

  const httpRoute: HTTPRoute = {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: {
      name: key.name,
      namespace,
      ...(typeof route.metadata?.creationTimestamp === 'string'
        ? { creationTimestamp: route.metadata.creationTimestamp }
        : {}),
      ...(typeof route.metadata?.generation === 'number' ? { generation: route.metadata.generation } : {}),
    },
    spec: {
      parentRefs: parentRefsOf(spec),
      ...(Array.isArray(spec.hostnames) ? { hostnames: spec.hostnames } : {}),
      rules: kindProblem === undefined ? httpRules : [],
    },
  };
  const httpEvaluation = evaluateRoute(httpRoute, view, {
    controllerName: options.controllerName,
    now: options.now,
    ...(options.parents === undefined ? {} : { parents: options.parents }),
  });
  const evaluation: RouteEvaluation = { ...httpEvaluation, route: key, extProc: true };
  const ours = httpEvaluation.parents.length > 0;

  // Status: Accepted or NotAccepted (Envoy AI Gateway's convention), ResolvedRefs=False for unresolved backends.
  const desired: Omit<Condition, 'lastTransitionTime'>[] = [];
  const attached = httpEvaluation.parents.filter((p) => p.accepted);
  const notAttached = httpEvaluation.parents
    .map((p) => p.status.conditions.find((c) => c.type === 'Accepted' && c.status === 'False'))
    .find((c) => c !== undefined);
  if (kindProblem !== undefined) {
    desired.push({ type: 'NotAccepted', status: 'False', ...kindProblem });
  } else if (rules.length === 0) {
    desired.push({
      type: 'NotAccepted',
      status: 'False',
      reason: refProblem?.reason ?? 'NoValidRules',
      message: ['no rule can be routed', ...(refProblem ? [refProblem.message] : []), ...routeProblems].join(
        '; ',
      ),
    });
  } else if (attached.length === 0 && notAttached !== undefined) {
    desired.push({
      type: 'NotAccepted',
      status: 'False',
      reason: notAttached.reason,
      message: `no parent Gateway accepts the route: ${notAttached.message}`,
    });
  } else {
    desired.push({
      type: 'Accepted',
      status: 'True',
      reason: 'Accepted',
      message:
        routeProblems.length === 0
          ? `AI Gateway route accepted: ${rules.flatMap((r) => r.models).join(', ')}`
          : `AI Gateway route accepted; dropped: ${routeProblems.join('; ')}`,
    });
  }
  if (refProblem !== undefined && kindProblem === undefined) {
    desired.push({ type: 'ResolvedRefs', status: 'False', ...refProblem });
  }
  return {
    evaluation,
    status: {
      conditions: stampConditions(route.status?.conditions, desired, route.metadata?.generation, options.now),
    },
    ours,
    rules: kindProblem === undefined ? rules : [],
    backends: kindProblem === undefined ? backends : [],
    models: kindProblem === undefined ? [...models.values()] : [],
    usedBackends: [...usedBackends.values()],
  };
}

/** Whether an AIServiceBackend can be used: a Service backendRef, a supported schema, a usable policy. */
export function resolveAIServiceBackend(backend: AIServiceBackend, view: ResourceView): BackendVerdict {
  const namespace = backend.metadata?.namespace ?? '';
  const spec: Partial<AIServiceBackendSpec> = backend.spec ?? {};
  const schemaName = spec.schema?.name;
  if (typeof schemaName !== 'string' || !SCHEMAS.includes(schemaName)) {
    return fail(
      'UnsupportedValue',
      `spec.schema.name: must be one of ${SCHEMAS.join(', ')}, not '${String(schemaName)}'`,
    );
  }
  const ref = spec.backendRef;
  if (typeof ref?.name !== 'string' || ref.name === '')
    return fail('UnsupportedValue', 'spec.backendRef.name: required');
  const group = normalizeGroup(ref.group);
  const kind = ref.kind ?? 'Service';
  if (group !== CORE_GROUP || kind !== 'Service') {
    return fail(
      'InvalidKind',
      `spec.backendRef: ${group || 'core'}/${kind} is not supported; reference a Service (Envoy Gateway Backends are not)`,
    );
  }
  if (typeof ref.namespace === 'string' && ref.namespace !== '' && ref.namespace !== namespace) {
    return fail(
      'RefNotPermitted',
      `spec.backendRef.namespace: the Service must be in the AIServiceBackend's namespace ${namespace}`,
    );
  }
  if (typeof ref.port !== 'number')
    return fail('UnsupportedValue', 'spec.backendRef.port: required for a Service');
  const service = view.get('Service', namespace, ref.name);
  if (service === undefined) {
    return fail('BackendNotFound', `spec.backendRef: Service ${namespace}/${ref.name} not found`);
  }
  const externalName = service.spec?.type === 'ExternalName' ? service.spec.externalName : undefined;
  const policies = policiesOf(backend, view);
  if (policies.length > 1) {
    return fail(
      'Conflicted',
      `BackendSecurityPolicies ${policies.map((p) => p.metadata.name).join(', ')} all target this backend; keep one`,
    );
  }
  let auth: ExtProcAuth | undefined;
  if (policies.length === 1) {
    const verdict = policyAuth(policies[0]!, view);
    if ('reason' in verdict)
      return fail(verdict.reason, `BackendSecurityPolicy ${policies[0]!.metadata.name}: ${verdict.message}`);
    auth = verdict.auth;
  }
  if (schemaName === 'GCPVertexAI' || schemaName === 'GCPAnthropic') {
    return fail(
      'UnsupportedValue',
      `spec.schema.name: ${schemaName} needs GCP credentials, which are not supported yet`,
    );
  }
  const schema: VersionedAPISchema =
    schemaName === 'AzureOpenAI' && typeof spec.schema?.version === 'string'
      ? { name: schemaName, version: spec.schema.version }
      : { name: schemaName };
  return {
    ok: true,
    service: { group: CORE_GROUP, kind: 'Service', name: ref.name, namespace, port: ref.port },
    schema,
    ...(typeof externalName === 'string' && externalName !== '' ? { host: externalName } : {}),
    ...(auth === undefined ? {} : { auth }),
  };
}

function fail(reason: string, message: string): BackendVerdict {
  return { ok: false, problem: { reason, message } };
}

/** The BackendSecurityPolicies that apply to a backend (by targetRefs, or by the v1alpha1 backendSecurityPolicyRef). */
function policiesOf(backend: AIServiceBackend, view: ResourceView): BackendSecurityPolicy[] {
  const namespace = backend.metadata?.namespace ?? '';
  const byRef = backend.spec?.backendSecurityPolicyRef?.name;
  return (view.list('BackendSecurityPolicy', namespace) as BackendSecurityPolicy[])
    .filter(
      (policy) =>
        policy.metadata?.name === byRef ||
        asArray<{ group?: string; kind?: string; name?: string }>(policy.spec?.targetRefs).some(
          (t) =>
            t?.group === AI_GATEWAY_GROUP &&
            t?.kind === 'AIServiceBackend' &&
            t?.name === backend.metadata?.name,
        ),
    )
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

/** A policy's credentials, read from its Secret. */
export function policyAuth(
  policy: BackendSecurityPolicy,
  view: ResourceView,
): { auth: ExtProcAuth } | Problem {
  const spec: Partial<BackendSecurityPolicySpec> = policy.spec ?? {};
  const namespace = policy.metadata?.namespace ?? '';
  const secretValue = (
    ref: SecretObjectReference | undefined,
    field: string,
    dataKey: string,
  ): string | Problem => {
    if (typeof ref?.name !== 'string')
      return { reason: 'UnsupportedValue', message: `${field}.secretRef.name: required` };
    const secretNamespace = ref.namespace || namespace;
    if (secretNamespace !== namespace) {
      return {
        reason: 'RefNotPermitted',
        message: `${field}.secretRef: the Secret must be in namespace ${namespace}`,
      };
    }
    const secret = view.get('Secret', secretNamespace, ref.name);
    if (secret === undefined)
      return {
        reason: 'SecretNotFound',
        message: `${field}.secretRef: Secret ${secretNamespace}/${ref.name} not found`,
      };
    const value =
      typeof secret.stringData?.[dataKey] === 'string'
        ? secret.stringData[dataKey]
        : typeof secret.data?.[dataKey] === 'string'
          ? Buffer.from(secret.data[dataKey], 'base64').toString('utf8')
          : undefined;
    if (value === undefined || value.trim() === '')
      return {
        reason: 'SecretNotFound',
        message: `${field}.secretRef: Secret ${secretNamespace}/${ref.name} has no key '${dataKey}'`,
      };
    return value.trim();
  };
  const keyAuth = (
    holder: { secretRef?: SecretObjectReference } | undefined,
    field: string,
    make: (key: string) => ExtProcAuth,
  ) => {
    if (holder === undefined)
      return { reason: 'UnsupportedValue', message: `spec.${field}: required for type ${spec.type}` };
    const key = secretValue(holder.secretRef, `spec.${field}`, 'apiKey');
    return typeof key === 'string' ? { auth: make(key) } : key;
  };
  switch (spec.type) {
    case 'APIKey':
      return keyAuth(spec.apiKey, 'apiKey', (key) => ({ apiKey: { key } }));
    case 'AzureAPIKey':
      return keyAuth(spec.azureAPIKey, 'azureAPIKey', (key) => ({ azureAPIKey: { key } }));
    case 'AnthropicAPIKey':
      return keyAuth(spec.anthropicAPIKey, 'anthropicAPIKey', (key) => ({ anthropicAPIKey: { key } }));
    case 'AWSCredentials': {
      const aws = spec.awsCredentials;
      if (typeof aws?.region !== 'string' || aws.region === '')
        return { reason: 'UnsupportedValue', message: 'spec.awsCredentials.region: required' };
      if (aws.credentialsFile === undefined) {
        return {
          reason: 'UnsupportedValue',
          message:
            'spec.awsCredentials.credentialsFile: required (OIDC exchange and the default chain are not supported)',
        };
      }
      const text = secretValue(
        aws.credentialsFile.secretRef,
        'spec.awsCredentials.credentialsFile',
        'credentials',
      );
      if (typeof text !== 'string') return text;
      const profile = aws.credentialsFile.profile ?? 'default';
      const section = iniSection(text, profile);
      const accessKeyId = section.aws_access_key_id;
      const secretAccessKey = section.aws_secret_access_key;
      if (accessKeyId === undefined || secretAccessKey === undefined) {
        return {
          reason: 'UnsupportedValue',
          message: `spec.awsCredentials.credentialsFile: profile '${profile}' lacks aws_access_key_id or aws_secret_access_key`,
        };
      }
      return {
        auth: {
          aws: {
            region: aws.region,
            accessKeyId,
            secretAccessKey,
            ...(section.aws_session_token === undefined ? {} : { sessionToken: section.aws_session_token }),
          },
        },
      };
    }
    default:
      return {
        reason: 'UnsupportedValue',
        message: `spec.type: ${String(spec.type)} is not supported; use APIKey, AzureAPIKey, AnthropicAPIKey or AWSCredentials`,
      };
  }
}

/** One profile of an AWS shared credentials file (INI). */
function iniSection(text: string, profile: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(?:profile\s+)?([^\]]+)\]$/.exec(line);
    if (header !== null) {
      current = header[1]!.trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (current === profile && eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

export interface AIGatewayResult {
  readonly statuses: readonly AIStatusUpdate[];
  readonly config: ExtProcConfigDocument;
}

/**
 * Every AIGatewayRoute of ours, the AIServiceBackends they use and the policies of those backends: their
 * statuses and the one ext_proc configuration they make. Routes are taken oldest first, so when two routes
 * name the same model the oldest one's rule is the one the service finds first.
 */
export function evaluateAIGateway(view: ResourceView, options: AIGatewayOptions): AIGatewayResult {
  const statuses: AIStatusUpdate[] = [];
  const config: ExtProcConfigDocument = { models: [], rules: [], backends: [] };
  const seenModels = new Set<string>();
  const backends = new Map<string, ResourceKey>();
  const routes = (view.list('AIGatewayRoute') as AIGatewayRoute[]).slice().sort(compareAge);
  for (const route of routes) {
    const result = evaluateAIGatewayRoute(route, view, options);
    if (!result.ours) continue;
    statuses.push({ key: keyOf(route), status: result.status });
    config.rules.push(...result.rules);
    config.backends.push(...result.backends);
    for (const model of result.models) {
      if (seenModels.has(model.name)) continue;
      seenModels.add(model.name);
      config.models.push(model);
    }
    for (const key of result.usedBackends) backends.set(formatResourceKey(key), key);
  }
  const policies = new Map<string, BackendSecurityPolicy>();
  for (const key of [...backends.values()].sort((a, b) =>
    formatResourceKey(a).localeCompare(formatResourceKey(b)),
  )) {
    const backend = view.get('AIServiceBackend', key.namespace, key.name) as AIServiceBackend | undefined;
    if (backend === undefined) continue;
    const verdict = resolveAIServiceBackend(backend, view);
    statuses.push({
      key,
      status: {
        conditions: stampConditions(
          backend.status?.conditions,
          [
            verdict.ok
              ? { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'AIServiceBackend accepted' }
              : {
                  type: 'NotAccepted',
                  status: 'False',
                  reason: verdict.problem!.reason,
                  message: verdict.problem!.message,
                },
          ],
          backend.metadata?.generation,
          options.now,
        ),
      },
    });
    for (const policy of policiesOf(backend, view)) policies.set(formatResourceKey(keyOf(policy)), policy);
  }
  for (const policy of policies.values()) {
    const verdict = policyAuth(policy, view);
    statuses.push({
      key: keyOf(policy),
      status: {
        conditions: stampConditions(
          policy.status?.conditions,
          [
            'auth' in verdict
              ? {
                  type: 'Accepted',
                  status: 'True',
                  reason: 'Accepted',
                  message: 'BackendSecurityPolicy accepted',
                }
              : { type: 'NotAccepted', status: 'False', reason: verdict.reason, message: verdict.message },
          ],
          policy.metadata?.generation,
          options.now,
        ),
      },
    });
  }
  return { statuses, config };
}

const OWNED_TYPES = new Set(['Accepted', 'NotAccepted', 'ResolvedRefs']);

/** Keeps lastTransitionTime while a condition's status is unchanged; keeps condition types we do not own. */
function stampConditions(
  previous: readonly Condition[] | undefined,
  desired: readonly Omit<Condition, 'lastTransitionTime'>[],
  generation: number | undefined,
  now: string,
): Condition[] {
  const before = new Map<string, Condition>();
  for (const old of Array.isArray(previous) ? previous : [])
    if (typeof old?.type === 'string') before.set(old.type, old);
  const out: Condition[] = desired.map((next) => {
    const old = before.get(next.type);
    return {
      ...next,
      lastTransitionTime:
        old !== undefined && old.status === next.status && typeof old.lastTransitionTime === 'string'
          ? old.lastTransitionTime
          : now,
      ...(typeof generation === 'number' ? { observedGeneration: generation } : {}),
    };
  });
  const written = new Set(desired.map((c) => c.type));
  for (const [type, old] of before) if (!written.has(type) && !OWNED_TYPES.has(type)) out.push(old);
  return out;
}

function costDocument(cost: LLMRequestCost): LLMRequestCost {
  return {
    metadataKey: cost.metadataKey,
    type: cost.type,
    ...(cost.type === 'CEL' && typeof cost.cel === 'string' ? { cel: cost.cel } : {}),
  };
}

function compareAge(a: AIGatewayRoute, b: AIGatewayRoute): number {
  const ca = a.metadata?.creationTimestamp ?? '';
  const cb = b.metadata?.creationTimestamp ?? '';
  if (ca !== cb) {
    if (ca === '') return 1;
    if (cb === '') return -1;
    return ca < cb ? -1 : 1;
  }
  return formatResourceKey(keyOf(a)).localeCompare(formatResourceKey(keyOf(b)));
}

function toUnixSeconds(time: unknown): number | undefined {
  if (typeof time !== 'string') return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}
