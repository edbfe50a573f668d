// AIGatewayRoutes served natively (RouteIR with `ai`): agentgateway routes by the model in the request body itself,
// so no ext_proc service is involved. Each rule of the route becomes an AI Backend `ai/<ns>/<name>/<rule>` whose
// provider groups are its backendRefs by priority (the first group with healthy providers serves), one provider
// per endpoint of each AIServiceBackend: the schema's provider (OpenAI, Anthropic, Bedrock, Azure OpenAI) with the
// model override, the endpoint as host override with the schema's path prefix, and as inline policies the credentials
// of its BackendSecurityPolicy, the backend's TLS, its header mutation and the rule's timeout. Each model of the
// rule becomes a ModelRoute on the listener (agentgateway's model table, `Resource.model_route`, agentgateway ≥
// v1.4.0): requests to the listener's LLM API paths whose body names that model go to the rule's AI Backend,
// agentgateway translates them to the provider's API and counts their tokens. What it cannot express was named by
// the model (model/ai-gateway/data-planes.ts); such a rule gets no ModelRoute, so its models are answered 404.
import type { AiBackendIR, AiRouteIR, AiRuleIR, ExtProcAuth } from '../../model/ir/ai.ts';
import type { UpstreamTLS } from '../../model/ir/envoy-gateway.ts';
import type { BackendIR, RouteIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import { formatResourceKey } from '../../model/resources/resource-key.ts';
import { type BackendSet, backendTls } from './backends.ts';
import { unavailableBackendKey } from './names.ts';
import type { Json } from './types.ts';

/** The Azure OpenAI API version the ext_proc service uses when the schema names none. */
const AZURE_OPENAI_DEFAULT_VERSION = '2024-10-21';
/** Envoy AI Gateway's default request timeout for AI rules, which the ext_proc path applies too. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** What translating the AI routes of one listener shares: the models its table already holds. */
export interface AiListenerContext {
  readonly listenerKey: string;
  readonly backends: BackendSet;
  readonly problems: string[];
  /** Model → the route that claimed it first on this listener (routes come oldest first, as Envoy finds them). */
  readonly models: Map<string, string>;
}

/** The key of the AI Backend of one rule of an AIGatewayRoute. */
export function aiBackendKey(route: RouteIR, rule: number): string {
  return `ai/${route.route.namespace ?? ''}/${route.route.name}/${rule}`;
}

/** The key of the ModelRoute of one model of one rule on one listener. */
export function modelRouteKey(listenerKey: string, route: RouteIR, rule: number, model: string): string {
  return `${listenerKey}/AIGatewayRoute/${route.route.namespace ?? ''}/${route.route.name}/${rule}/${model}`;
}

/** The ModelRoutes of an AIGatewayRoute on one listener; its AI Backends are added to the context's set. */
export function translateAiRoute(route: RouteIR, ai: AiRouteIR, context: AiListenerContext): Json[] {
  const id = `AIGatewayRoute ${route.route.namespace ?? ''}/${route.route.name}`;
  const unsupported = ai.agentgatewayUnsupported ?? policiesProblem(route);
  if (unsupported !== undefined) {
    context.problems.push(`${id} is not served on agentgateway: ${unsupported}`);
    return [];
  }
  const targets = backendTargets(route);
  const out: Json[] = [];
  for (const rule of ai.rules) {
    if (rule.agentgatewayUnsupported !== undefined) {
      context.problems.push(
        `${id} rule ${rule.index} is not served on agentgateway: ${rule.agentgatewayUnsupported}`,
      );
      continue;
    }
    const backend = aiBackend(route, rule, targets, context);
    for (const model of rule.models) {
      const claimed = context.models.get(model);
      if (claimed !== undefined) {
        context.problems.push(
          `${context.listenerKey}: model '${model}' of ${id} rule ${rule.index} is already served by ${claimed}`,
        );
        continue;
      }
      context.models.set(model, id);
      out.push({
        key: modelRouteKey(context.listenerKey, route, rule.index, model),
        listenerKey: context.listenerKey,
        match: { model },
        concreteModel: { backend: { backend } },
        created: rule.created,
      });
    }
  }
  return out;
}

/**
 * The rule's AI Backend key, the Backend added to the set; a rule none of whose backends can be called (no
 * endpoint, unusable credentials or TLS) gets a key nothing publishes, which agentgateway answers with 500.
 */
function aiBackend(
  route: RouteIR,
  rule: AiRuleIR,
  targets: ReadonlyMap<string, BackendIR>,
  context: AiListenerContext,
): string {
  const key = aiBackendKey(route, rule.index);
  const priorities = [...new Set(rule.backends.map((backend) => backend.priority))].sort((a, b) => a - b);
  const groups = priorities
    .map((priority) => ({
      providers: rule.backends
        .filter((backend) => backend.priority === priority && backend.weight > 0)
        .flatMap((backend) =>
          providers(backend, targets.get(backend.backend.name), timeoutOf(route, rule), context),
        ),
    }))
    .filter((group) => group.providers.length > 0);
  if (groups.length === 0) return unavailableBackendKey(key, 'no-provider');
  context.backends.add({
    key,
    name: { name: route.route.name, namespace: route.route.namespace ?? '' },
    ai: { providerGroups: groups },
  });
  return key;
}

/** One provider per endpoint of the backend (agentgateway's provider is one host); none when it cannot be called. */
function providers(
  { backend }: AiBackendIR,
  target: BackendIR | undefined,
  timeoutMs: number,
  context: AiListenerContext,
): Json[] {
  const refuse = (why: string): Json[] => {
    context.problems.push(`${context.listenerKey}: AI backend ${backend.name} gets no traffic: ${why}`);
    return [];
  };
  const auth = backend.auth;
  if (auth !== undefined && 'unavailable' in auth)
    // Never an unauthenticated call: Envoy's ext_proc answers such a backend 401, agentgateway does not call it.
    return refuse(`its credentials cannot be used: ${auth.unavailable}`);
  const endpoints = endpointsOf(target);
  if ('problem' in endpoints) return refuse(endpoints.problem);
  const tls = endpoints.tls;
  if (tls !== undefined && 'problem' in tls) return refuse(tls.problem);
  const policies: Json[] = [
    ...(auth === undefined ? [] : [{ auth: authPolicy(auth) }]),
    ...(tls === undefined ? [] : [{ backendTls: tls.policy }]),
    ...headerPolicies(backend),
    ...(timeoutMs > 0 ? [{ backendHttp: { requestTimeout: duration(timeoutMs) } }] : []),
  ];
  return endpoints.hosts.map(({ host, port }, i) => ({
    name: endpoints.hosts.length === 1 ? backend.name : `${backend.name}#${i}`,
    hostOverride: { host, port },
    pathPrefix: pathPrefix(backend.schema),
    ...providerKind(backend, auth, host),
    ...(policies.length > 0 ? { inlinePolicies: policies } : {}),
  }));
}

/** The provider of the schema, with the model override (Bedrock: the credentials' region). */
function providerKind(backend: AiBackendIR['backend'], auth: ExtProcAuth | undefined, host: string): Json {
  const model = backend.modelNameOverride === undefined ? {} : { model: backend.modelNameOverride };
  switch (backend.schema.name) {
    case 'Anthropic':
      return { anthropic: model };
    case 'AWSBedrock':
      return { bedrock: { ...model, region: auth !== undefined && 'aws' in auth ? auth.aws.region : '' } };
    case 'AzureOpenAI':
      // The resource name only makes the host (`<name>.openai.azure.com`), which the host override sets; the
      // resource type is OPEN_AI (0, the default); the API version as the ext_proc service uses it (its default,
      // dataplane/extproc/config.ts, when the schema names none).
      return {
        azure: {
          resourceName: host.split('.')[0],
          ...model,
          apiVersion: backend.schema.version ?? AZURE_OPENAI_DEFAULT_VERSION,
        },
      };
    default:
      return { openai: model };
  }
}

/**
 * The path before the operation: the schema's prefix (OpenAI and Anthropic, default `v1`), Bedrock's and Azure's
 * own paths unprefixed. Always set: with a host override and no prefix agentgateway would keep the client's path.
 */
function pathPrefix(schema: AiBackendIR['backend']['schema']): string {
  if (schema.name === 'AWSBedrock' || schema.name === 'AzureOpenAI') return '';
  return `/${(schema.prefix ?? 'v1').replace(/^\/+/, '').replace(/\/+$/, '')}`;
}

/** The credentials where the provider expects them; AWS: SigV4 with the policy's static credentials. */
function authPolicy(auth: Exclude<ExtProcAuth, { unavailable: string }>): Json {
  if ('aws' in auth) {
    const { region, accessKeyId, secretAccessKey, sessionToken } = auth.aws;
    return {
      aws: {
        explicitConfig: {
          accessKeyId: accessKeyId ?? '',
          secretAccessKey: secretAccessKey ?? '',
          region,
          ...(sessionToken === undefined ? {} : { sessionToken }),
        },
        serviceName: 'bedrock',
      },
    };
  }
  const [secret, location] =
    'anthropicAPIKey' in auth
      ? [auth.anthropicAPIKey.key, { header: { name: 'x-api-key' } }]
      : 'azureAPIKey' in auth
        ? [auth.azureAPIKey.key, { header: { name: 'api-key' } }]
        : [
            'gcp' in auth ? auth.gcp.accessToken : auth.apiKey.key,
            { header: { name: 'Authorization', prefix: 'Bearer ' } },
          ];
  return { key: { secret: secret ?? '', authorizationLocation: location } };
}

/** The backend's (and backendRef's) header mutation as a request header modifier. */
function headerPolicies(backend: AiBackendIR['backend']): Json[] {
  const mutation = backend.headerMutation;
  const set = mutation?.set ?? [];
  const remove = mutation?.remove ?? [];
  if (set.length === 0 && remove.length === 0) return [];
  return [
    {
      requestHeaderModifier: {
        ...(set.length > 0 ? { set: set.map(({ name, value }) => ({ name, value })) } : {}),
        ...(remove.length > 0 ? { remove: [...remove] } : {}),
      },
    },
  ];
}

type TlsPolicy = { readonly policy: Json } | { readonly problem: string };

type Endpoints =
  | { readonly hosts: readonly { host: string; port: number }[]; readonly tls?: TlsPolicy }
  | { readonly problem: string };

/** Where the AIServiceBackend's backendRef sends: a Service's ready endpoints (or ExternalName), a Backend's. */
function endpointsOf(target: BackendIR | undefined): Endpoints {
  if (target === undefined || target.kind === 'Invalid')
    return { problem: target?.message ?? 'its backendRef does not resolve' };
  if (target.kind === 'InferencePool') return { problem: 'an InferencePool is not an AI provider' };
  if (target.kind === 'Service') {
    const hosts =
      target.externalName !== undefined
        ? [{ host: target.externalName, port: target.port }]
        : target.endpoints.map((e) => ({ host: e.address, port: e.port }));
    if (hosts.length === 0)
      return { problem: `Service ${formatResourceKey(target.service)} has no ready endpoint` };
    return { hosts, ...(target.tls === undefined ? {} : { tls: { policy: backendTls(target.tls) } }) };
  }
  const hosts = target.endpoints.flatMap((e) => ('address' in e ? [{ host: e.address, port: e.port }] : []));
  if (hosts.length === 0)
    return {
      problem: `Backend ${formatResourceKey(target.backend)} has no host endpoint (Unix sockets are not AI providers)`,
    };
  return { hosts, ...(target.tls === undefined ? {} : { tls: upstreamTls(target.tls) }) };
}

/** An Envoy Gateway Backend's TLS as agentgateway's BackendTLS; what that cannot take is a problem. */
function upstreamTls(tls: UpstreamTLS): TlsPolicy {
  if (tls.verify === 'InsecureSkipVerify')
    return {
      problem: 'its Backend skips TLS verification, which Switchyard does not program on agentgateway',
    };
  if (tls.clientCertificate !== undefined)
    return {
      problem: 'its Backend presents a client certificate, which Switchyard does not program on agentgateway',
    };
  return {
    policy: {
      ...(tls.verify === 'System' ? {} : { root: Buffer.from(tls.verify.caBundle).toString('base64') }),
      ...(tls.sni === undefined ? {} : { hostname: tls.sni }),
    },
  };
}

/**
 * The HTTP rules the AI route was evaluated into, by ext_proc backend name: `rule-<i>-ref-<j>` sends to one
 * backend; a fallback rule lists its backends aligned with `priorityFallback`.
 */
function backendTargets(route: RouteIR): Map<string, BackendIR> {
  const out = new Map<string, BackendIR>();
  const prefix = `${route.route.namespace ?? ''}/${route.route.name}/rule/`;
  for (const rule of route.rules) {
    if (rule.priorityFallback !== undefined) {
      rule.priorityFallback.forEach(({ name }, k) => {
        const backend = rule.backends[k];
        if (backend !== undefined) out.set(name, backend);
      });
      continue;
    }
    const refRule = /^rule-(\d+)-ref-(\d+)$/.exec(rule.name ?? '');
    const backend = rule.backends[0];
    if (refRule !== null && backend !== undefined)
      out.set(`${prefix}${refRule[1]}/ref/${refRule[2]}`, backend);
  }
  return out;
}

/** The rule's timeout for one call to a provider: backendRequest, else request (Envoy AI Gateway's 60 s default). */
function timeoutOf(route: RouteIR, rule: AiRuleIR): number {
  const http = route.rules.find((r) => ruleOf(r) === rule.index);
  if (http === undefined) return DEFAULT_TIMEOUT_MS;
  return http.timeouts?.backendRequestMs || http.timeouts?.requestMs || 0;
}

function ruleOf(rule: RuleIR): number | undefined {
  const match = /^(?:rule-(\d+)-ref-\d+|ai-gateway-fallback-(\d+))$/.exec(rule.name ?? '');
  return match === null ? undefined : Number(match[1] ?? match[2]);
}

/**
 * Envoy Gateway policies attached to the route's rules are not carried into agentgateway's model table (its
 * requests take agentgateway's own route): the route is not served rather than served without them.
 */
function policiesProblem(route: RouteIR): string | undefined {
  // A QuotaPolicy's limits alone are not such a policy: the rule they count is refused by the model already.
  const quotaOnly = (rule: RuleIR) =>
    Object.keys(rule.policies ?? {}).length === 1 && rule.policies?.traffic?.policy.kind === 'QuotaPolicy';
  const rule = route.rules.find((r) => r.policies !== undefined && !quotaOnly(r));
  return rule === undefined
    ? undefined
    : "Envoy Gateway policies apply to it, which agentgateway's model table does not carry";
}

function duration(ms: number): string {
  return `${ms / 1000}s`;
}
