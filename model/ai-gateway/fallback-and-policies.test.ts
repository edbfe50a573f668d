import { describe, expect, it } from 'vitest';
import { buildGatewayIR } from '../evaluation/build-gateway-ir.ts';
import type { AnyResource } from '../resources/kinds.ts';
import type { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import { evaluateAIGateway } from './evaluate-ai-gateway.ts';
import { mergeHeaderMutations } from './route-backends.ts';
import { evaluateAIGatewayRoute } from './route-evaluation.ts';

const options = { controllerName: CONTROLLER, now: NOW };

function world(...objects: Record<string, unknown>[]): ResourceStore {
  const store = storeOf('ai-gateway.yaml');
  for (const object of objects) store.upsert(object as unknown as AnyResource);
  return store;
}

const ai = (
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => ({
  apiVersion: `aigateway.envoyproxy.io/${kind === 'QuotaPolicy' ? 'v1alpha1' : 'v1beta1'}`,
  kind,
  metadata: { name, namespace: 'ai', generation: 1, ...extra },
  spec,
});

const fallbackRoute = ai(
  'AIGatewayRoute',
  'smart',
  {
    parentRefs: [{ name: 'ai-gateway' }],
    rules: [
      {
        matches: [{ headers: [{ name: 'x-ai-eg-model', value: 'smart' }] }],
        backendRefs: [
          { name: 'anthropic', priority: 0, modelNameOverride: 'claude-sonnet-4' },
          {
            name: 'openai',
            priority: 1,
            weight: 2,
            headerMutation: { set: [{ name: 'x-tier', value: 'backup' }] },
          },
        ],
      },
    ],
  },
  { creationTimestamp: '2025-05-03T00:00:00Z' },
);

describe('priority fallback', () => {
  it('a rule with backends at several priorities is one Envoy rule for the model, marked with each backend', () => {
    const store = world(fallbackRoute);
    const { evaluation, rules } = evaluateAIGatewayRoute(
      store.get('AIGatewayRoute', 'ai', 'smart')!,
      store,
      options,
    );
    expect(rules).toEqual([
      {
        models: ['smart'],
        backends: [
          { name: 'ai/smart/rule/0/ref/0', weight: 1, priority: 0 },
          { name: 'ai/smart/rule/0/ref/1', weight: 2, priority: 1 },
        ],
      },
    ]);
    const rule = evaluation.rules.find((r) => r.name === 'ai-gateway-fallback-0')!;
    expect(rule.priorityFallback).toEqual([
      { name: 'ai/smart/rule/0/ref/0', priority: 0 },
      { name: 'ai/smart/rule/0/ref/1', priority: 1 },
    ]);
    // No x-ai-eg-backend match: Envoy picks the backend.
    expect(rule.matches).toEqual([
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'x-ai-eg-model', value: 'smart' }] },
    ]);
    const gateway = store.get('Gateway', 'ai', 'ai-gateway')!;
    const ir = buildGatewayIR(gateway, store, [evaluation], { controllerName: CONTROLLER })!;
    const irRule = ir.ports[0]!.listeners[0]!.routes[0]!.rules.find(
      (r) => r.name === 'ai-gateway-fallback-0',
    )!;
    expect(irRule.priorityFallback).toEqual(rule.priorityFallback);
    expect(irRule.backends.map((b) => [b.kind, b.weight])).toEqual([
      ['Service', 1],
      ['Service', 2],
    ]);
  });

  it('backends at one priority keep the weighted choice of the service', () => {
    const store = world({
      ...fallbackRoute,
      spec: {
        ...fallbackRoute.spec,
        rules: [
          {
            ...(fallbackRoute.spec.rules as Record<string, unknown>[])[0],
            backendRefs: [{ name: 'anthropic' }, { name: 'openai', priority: 0 }],
          },
        ],
      },
    });
    const { evaluation, rules } = evaluateAIGatewayRoute(
      store.get('AIGatewayRoute', 'ai', 'smart')!,
      store,
      options,
    );
    expect(rules[0]?.backends).toEqual([
      { name: 'ai/smart/rule/0/ref/0', weight: 1 },
      { name: 'ai/smart/rule/0/ref/1', weight: 1 },
    ]);
    expect(evaluation.rules.every((r) => r.priorityFallback === undefined)).toBe(true);
  });
});

describe('backends: schemas, mutations, credentials', () => {
  it('route mutations win over the backend’s; schema prefix, the AWSAnthropic and Cohere schemas carry through', () => {
    expect(
      mergeHeaderMutations(
        {
          set: [
            { name: 'X-Team', value: 'a' },
            { name: 'x-keep', value: '1' },
          ],
          remove: ['x-debug'],
        },
        { set: [{ name: 'x-team', value: 'b' }], remove: ['x-keep'] },
      ),
    ).toEqual({ set: [{ name: 'x-team', value: 'b' }], remove: ['x-debug', 'x-keep'] });
    const store = world(
      ai('AIServiceBackend', 'openai', {
        schema: { name: 'OpenAI', prefix: 'compatibility/v1' },
        backendRef: { name: 'openai', kind: 'Service', port: 8000 },
        backendSecurityPolicyRef: { name: 'openai-key' },
        headerMutation: { set: [{ name: 'x-team', value: 'a' }] },
        bodyMutation: { set: [{ path: 'service_tier', value: '"flex"' }] },
      }),
      ai('AIServiceBackend', 'bedrock-claude', {
        schema: { name: 'AWSAnthropic', version: 'bedrock-2023-05-31' },
        backendRef: { name: 'anthropic', kind: 'Service', port: 8000 },
      }),
      ai('AIServiceBackend', 'cohere', {
        schema: { name: 'Cohere', version: 'v2' },
        backendRef: { name: 'anthropic', kind: 'Service', port: 8000 },
      }),
      fallbackRoute,
      ai('AIGatewayRoute', 'bedrock', {
        parentRefs: [{ name: 'ai-gateway' }],
        rules: [
          {
            matches: [{ headers: [{ name: 'x-ai-eg-model', value: 'claude-bedrock' }] }],
            backendRefs: [{ name: 'bedrock-claude' }],
          },
          {
            matches: [{ headers: [{ name: 'x-ai-eg-model', value: 'rerank-v3.5' }] }],
            backendRefs: [{ name: 'cohere' }],
          },
        ],
      }),
    );
    const { config, statuses } = evaluateAIGateway(store, options);
    expect(
      statuses.find((s) => s.key.kind === 'AIServiceBackend' && s.key.name === 'cohere')?.status,
    ).toMatchObject({ conditions: [{ type: 'Accepted', status: 'True' }] });
    expect(config.backends.find((b) => b.name === 'ai/bedrock/rule/1/ref/0')?.schema).toEqual({
      name: 'Cohere',
      version: 'v2',
    });
    expect(config.backends.find((b) => b.name === 'ai/smart/rule/0/ref/1')).toEqual({
      name: 'ai/smart/rule/0/ref/1',
      schema: { name: 'OpenAI', prefix: 'compatibility/v1' },
      auth: { apiKey: { key: 'sk-openai-test' } },
      headerMutation: {
        set: [
          { name: 'x-team', value: 'a' },
          { name: 'x-tier', value: 'backup' },
        ],
      },
      bodyMutation: { set: [{ path: 'service_tier', value: '"flex"' }] },
    });
    expect(config.backends.find((b) => b.name === 'ai/bedrock/rule/0/ref/0')?.schema).toEqual({
      name: 'AWSAnthropic',
      version: 'bedrock-2023-05-31',
    });
  });

  it('per-request credentials: the policy’s credentialOverride, with no static key when there is no fallback', () => {
    const store = world(
      ai('BackendSecurityPolicy', 'openai-key', {
        type: 'APIKey',
        credentialOverride: { fromRequestHeaders: { fallbackToConfigured: false } },
      }),
      ai('BackendSecurityPolicy', 'anthropic-key', {
        targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'anthropic' }],
        type: 'AnthropicAPIKey',
        anthropicAPIKey: { secretRef: { name: 'anthropic-key' } },
        credentialOverride: { fromDynamicMetadata: { namespace: 'envoy.filters.http.ext_authz' } },
      }),
    );
    const { config, statuses } = evaluateAIGateway(store, options);
    expect(config.backends.map((b) => b.auth)).toEqual([
      { apiKey: {}, override: { header: 'x-aigw-api-key', fallbackToConfigured: false } },
      {
        anthropicAPIKey: { key: 'sk-ant-test' },
        override: {
          metadata: { namespace: 'envoy.filters.http.ext_authz', key: 'x-aigw-anthropic-api-key' },
          fallbackToConfigured: true,
        },
      },
    ]);
    for (const status of statuses) expect(status.status.conditions?.[0]?.type).toBe('Accepted');
  });
});

describe('GatewayConfig and QuotaPolicy', () => {
  const annotated = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: {
      name: 'ai-gateway',
      namespace: 'ai',
      generation: 1,
      annotations: { 'aigateway.envoyproxy.io/gateway-config': 'costs' },
    },
    spec: { gatewayClassName: 'switchyard', listeners: [{ name: 'http', protocol: 'HTTP', port: 8080 }] },
  };

  it("a GatewayConfig's global costs apply to its Gateway's routes, a route's own key winning", () => {
    const store = world(
      annotated,
      ai('GatewayConfig', 'costs', {
        globalLLMRequestCosts: [
          { metadataKey: 'llm_input_token', type: 'OutputToken' },
          { metadataKey: 'llm_reasoning', type: 'ReasoningToken' },
        ],
      }),
    );
    const { config, statuses } = evaluateAIGateway(store, options);
    expect(config.rules.map((r) => r.llmRequestCosts)).toEqual([
      [
        { metadataKey: 'llm_input_token', type: 'OutputToken' },
        { metadataKey: 'llm_reasoning', type: 'ReasoningToken' },
      ],
      [
        { metadataKey: 'llm_input_token', type: 'InputToken' },
        { metadataKey: 'llm_cost', type: 'CEL', cel: 'input_tokens * 3u + output_tokens * 15u' },
        { metadataKey: 'llm_reasoning', type: 'ReasoningToken' },
      ],
    ]);
    const status = statuses.find((s) => s.key.kind === 'GatewayConfig')?.status.conditions?.[0];
    expect([status?.type, status?.message]).toEqual([
      'Accepted',
      'globalLLMRequestCosts apply to the AIGatewayRoutes of Gateway ai-gateway',
    ]);
  });

  it('a GatewayConfig shaping the ext_proc container is refused as a whole, naming the field', () => {
    const store = world(
      annotated,
      ai('GatewayConfig', 'costs', {
        extProc: { kubernetes: { resources: { limits: { cpu: '1' } } } },
        globalLLMRequestCosts: [{ metadataKey: 'x', type: 'TotalToken' }],
      }),
    );
    const { config, statuses } = evaluateAIGateway(store, options);
    expect(config.rules[0]?.llmRequestCosts).toBeUndefined();
    const status = statuses.find((s) => s.key.kind === 'GatewayConfig')?.status.conditions?.[0];
    expect([status?.type, status?.reason]).toEqual(['NotAccepted', 'UnsupportedValue']);
    expect(status?.message).toMatch(/^spec\.extProc: the ext_proc service is its own Deployment here/);
    // Its Gateway's routes say that its global costs do not apply.
    const routeStatus = statuses.find((s) => s.key.kind === 'AIGatewayRoute')?.status.conditions?.[0];
    expect(routeStatus?.message).toMatch(
      /; Gateway ai\/ai-gateway names GatewayConfig ai\/costs, which is not accepted \(see its status\): its global costs do not apply$/,
    );
  });

  it('a Gateway naming a GatewayConfig that does not exist: its routes say so, and keep their own costs', () => {
    const { config, statuses } = evaluateAIGateway(world(annotated), options);
    expect(config.rules[1]?.llmRequestCosts?.map((cost) => cost.metadataKey)).toEqual([
      'llm_input_token',
      'llm_cost',
    ]);
    const routeStatuses = statuses.filter((s) => s.key.kind === 'AIGatewayRoute');
    expect(routeStatuses.length).toBeGreaterThan(0);
    for (const { status } of routeStatuses)
      expect(status.conditions?.[0]).toMatchObject({
        type: 'Accepted',
        status: 'True',
        message: expect.stringMatching(
          /; Gateway ai\/ai-gateway names GatewayConfig ai\/costs, which does not exist: its global costs do not apply$/,
        ),
      });
    expect(statuses.some((s) => s.key.kind === 'GatewayConfig')).toBe(false);
  });

  const quota = (name: string, spec: Record<string, unknown>) =>
    ai('QuotaPolicy', name, {
      targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'anthropic' }],
      ...spec,
    });
  /** The global rate limits of the IR rule of each backendRef, by Envoy rule name. */
  const quotaLimits = (store: ResourceStore) => {
    const evaluations = ['chat', 'claude'].map(
      (name) => evaluateAIGatewayRoute(store.get('AIGatewayRoute', 'ai', name)!, store, options).evaluation,
    );
    const ir = buildGatewayIR(store.get('Gateway', 'ai', 'ai-gateway')!, store, evaluations, {
      controllerName: CONTROLLER,
    })!;
    return Object.fromEntries(
      ir.ports[0]!.listeners[0]!.routes.flatMap((route) =>
        route.rules.flatMap((rule) =>
          rule.policies?.traffic === undefined
            ? []
            : [[`${route.route.name}/${rule.name}`, rule.policies.traffic.rateLimit?.global]],
        ),
      ),
    );
  };

  it('a QuotaPolicy becomes global rate limits on its backend’s rules, burnt by the ext_proc cost of each response', () => {
    const store = world(
      quota('budget', {
        serviceQuota: { quota: { limit: 1000, duration: '1h' } },
        perModelQuotas: [
          {
            modelName: 'claude-sonnet-4-20250514',
            quota: {
              costExpression: 'input_tokens + output_tokens * 3u',
              defaultBucket: { limit: 50, duration: '1m' },
            },
          },
          { modelName: 'another-model', quota: { defaultBucket: { limit: 7, duration: '1d' } } },
        ],
      }),
    );
    const owner = { group: 'aigateway.envoyproxy.io', kind: 'QuotaPolicy', namespace: 'ai', name: 'budget' };
    const limit = (index: number, requests: number, unit: string) => ({
      owner,
      index,
      selector: { headers: [], methods: [], queryParams: [] },
      requests,
      unit,
      requestCost: { kind: 'Number', number: 0 },
      responseCost: { kind: 'Metadata', namespace: 'io.envoy.ai_gateway', key: `quota-budget-${index}` },
      shared: true,
      shadowMode: false,
    });
    // The claude route's backendRef overrides the model to the one perModelQuotas[0] names; the other model's
    // quota counts nothing here, the OpenAI backend of the chat route none at all.
    expect(quotaLimits(store)).toEqual({
      'claude/rule-0-ref-0': [limit(0, 1000, 'Hour'), limit(1, 50, 'Minute')],
    });
    const { config, statuses } = evaluateAIGateway(store, options);
    expect(config.rules.map((rule) => rule.llmRequestCosts)).toEqual([
      undefined,
      [
        { metadataKey: 'llm_input_token', type: 'InputToken' },
        { metadataKey: 'llm_cost', type: 'CEL', cel: 'input_tokens * 3u + output_tokens * 15u' },
        { metadataKey: 'quota-budget-0', type: 'TotalToken' },
        { metadataKey: 'quota-budget-1', type: 'CEL', cel: 'input_tokens + output_tokens * 3u' },
      ],
    ]);
    expect(statuses.find((s) => s.key.kind === 'QuotaPolicy')?.status.conditions?.[0]).toMatchObject({
      type: 'Accepted',
      status: 'True',
    });
  });

  it('what a QuotaPolicy asks that Envoy cannot enforce is named in its status; its default bucket still counts', () => {
    const store = world(
      quota('buckets', {
        perModelQuotas: [
          {
            modelName: 'claude-sonnet-4-20250514',
            quota: {
              defaultBucket: { limit: 10, duration: '1h' },
              bucketRules: [
                {
                  clientSelectors: [{ headers: [{ name: 'x-team', value: 'ml' }] }],
                  quota: { limit: 99, duration: '1h' },
                },
              ],
            },
          },
          { modelName: 'm', quota: { defaultBucket: { limit: 5, duration: '2h' } } },
        ],
      }),
    );
    expect(
      Object.values(quotaLimits(store))
        .flat()
        .map((rule) => rule?.requests),
    ).toEqual([10]);
    const status = evaluateAIGateway(store, options).statuses.find((s) => s.key.kind === 'QuotaPolicy');
    expect(status?.status.conditions?.[0]).toMatchObject({
      type: 'NotAccepted',
      status: 'False',
      reason: 'UnsupportedValue',
      message:
        "spec.perModelQuotas[0].quota.bucketRules: not enforced — Envoy's rate limit filter cannot let a request through on the quota of any one matching bucket, as Shared mode asks; the default bucket limits every request; spec.perModelQuotas[1].quota.defaultBucket.duration: must be one of 1s, 1m, 1h, 1d, not '2h'; its other quotas are enforced",
    });
  });
});

describe('data planes', () => {
  // A Gateway of model/testdata/gatewayclass.yaml's class whose parameters choose agentgateway.
  const agentgateway = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'agw-gateway', namespace: 'ai', generation: 1 },
    spec: {
      gatewayClassName: 'with-parameters',
      listeners: [{ name: 'http', protocol: 'HTTP', port: 8081 }],
    },
  };
  const agentgatewayWorld = (...objects: Record<string, unknown>[]) => {
    const store = storeOf('ai-gateway.yaml', 'gatewayclass.yaml');
    for (const object of [agentgateway, ...objects]) store.upsert(object as unknown as AnyResource);
    return store;
  };
  const routeOn = (...parents: string[]) => routeMatching(parents, []);
  /** A route whose rule matches the model and `headers` (agentgateway's model table matches the model only). */
  const routeMatching = (parents: string[], headers: Record<string, unknown>[]) =>
    ai('AIGatewayRoute', 'on-agw', {
      parentRefs: parents.map((name) => ({ name })),
      rules: [
        {
          matches: [{ headers: [{ name: 'x-ai-eg-model', value: 'm' }, ...headers] }],
          backendRefs: [{ name: 'openai' }],
        },
      ],
    });
  const teamHeader = { name: 'x-team', value: 'ml' };
  const unsupported =
    "spec.rules[0].matches[0].headers: agentgateway's model table matches the request's model only, not header 'x-team'";
  const conditionOf = (store: ResourceStore) =>
    evaluateAIGatewayRoute(store.get('AIGatewayRoute', 'ai', 'on-agw')!, store, options).status
      .conditions?.[0];

  it('an AIGatewayRoute agentgateway can express is Accepted on it: agentgateway serves it natively', () => {
    expect(conditionOf(agentgatewayWorld(routeOn('agw-gateway')))).toMatchObject({
      type: 'Accepted',
      status: 'True',
      message: 'AI Gateway route accepted: m',
    });
  });

  it('one it cannot express is NotAccepted when agentgateway serves all its Gateways, naming the field and the data plane', () => {
    expect(conditionOf(agentgatewayWorld(routeMatching(['agw-gateway'], [teamHeader])))).toEqual(
      expect.objectContaining({
        type: 'NotAccepted',
        status: 'False',
        reason: 'UnsupportedValue',
        message: `parentRefs: Gateway ai/agw-gateway (agentgateway) cannot serve this route: ${unsupported}`,
      }),
    );
  });

  it('with an Envoy Gateway too, it is Accepted and its message names what the agentgateway Gateway does not serve', () => {
    const condition = conditionOf(
      agentgatewayWorld(routeMatching(['ai-gateway', 'agw-gateway'], [teamHeader])),
    );
    expect(condition).toMatchObject({ type: 'Accepted', status: 'True' });
    expect(condition?.message).toBe(
      `AI Gateway route accepted: m; parentRefs: Gateway ai/agw-gateway (agentgateway) cannot serve this route: ${unsupported}`,
    );
    expect(conditionOf(agentgatewayWorld(routeMatching(['ai-gateway'], [teamHeader])))?.message).toBe(
      'AI Gateway route accepted: m',
    );
  });
});
