import { describe, expect, it } from 'vitest';
import { buildGatewayIR } from '../evaluation/build-gateway-ir.ts';
import { dependenciesOf } from '../evaluation/dependencies.ts';
import { countAttachedRoutes } from '../gateway-api/route-status.ts';
import type { AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy } from '../resources/ai-gateway.ts';
import type { AnyResource } from '../resources/kinds.ts';
import { formatResourceKey, resourceKey } from '../resources/resource-key.ts';
import type { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, LATER, NOW, storeOf } from '../testdata/fixtures.ts';
import { evaluateAIGateway } from './evaluate-ai-gateway.ts';
import { extProcBackendName } from './extproc-config.ts';
import { evaluateAIGatewayRoute } from './route-evaluation.ts';

const options = { controllerName: CONTROLLER, now: NOW };

function world(): ResourceStore {
  return storeOf('ai-gateway.yaml');
}

function statusOf(result: ReturnType<typeof evaluateAIGateway>, kind: string, name: string) {
  return result.statuses.find((s) => s.key.kind === kind && s.key.name === name)?.status.conditions;
}

function route(name: string, spec: Record<string, unknown>): AIGatewayRoute {
  return {
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'AIGatewayRoute',
    metadata: { name, namespace: 'ai', generation: 1 },
    spec: { parentRefs: [{ name: 'ai-gateway' }], ...spec },
  } as AIGatewayRoute;
}

function rule(model: string, backend: string) {
  return {
    matches: [{ headers: [{ name: 'x-ai-eg-model', value: model }] }],
    backendRefs: [{ name: backend }],
  };
}

describe('AIGatewayRoute → ext_proc configuration', () => {
  it('turns the v1alpha1 and v1beta1 manifests into rules, backends with credentials, costs and models', () => {
    const result = evaluateAIGateway(world(), options);
    const chat = resourceKey('aigateway.envoyproxy.io', 'AIGatewayRoute', 'ai', 'chat');
    const claude = resourceKey('aigateway.envoyproxy.io', 'AIGatewayRoute', 'ai', 'claude');
    expect(result.config).toEqual({
      models: [
        {
          name: 'gpt-4o-mini',
          ownedBy: 'Envoy AI Gateway',
          created: Date.parse('2025-05-01T00:00:00Z') / 1000,
        },
        { name: 'claude-sonnet', ownedBy: 'anthropic', created: Date.parse('2025-05-02T00:00:00Z') / 1000 },
      ],
      rules: [
        { models: ['gpt-4o-mini'], backends: [{ name: extProcBackendName(chat, 0, 0), weight: 1 }] },
        {
          models: ['claude-sonnet'],
          backends: [{ name: extProcBackendName(claude, 0, 0), weight: 1 }],
          llmRequestCosts: [
            { metadataKey: 'llm_input_token', type: 'InputToken' },
            { metadataKey: 'llm_cost', type: 'CEL', cel: 'input_tokens * 3u + output_tokens * 15u' },
          ],
        },
      ],
      backends: [
        {
          name: 'ai/chat/rule/0/ref/0',
          schema: { name: 'OpenAI' },
          auth: { apiKey: { key: 'sk-openai-test' } },
        },
        {
          name: 'ai/claude/rule/0/ref/0',
          schema: { name: 'Anthropic' },
          modelNameOverride: 'claude-sonnet-4-20250514',
          auth: { anthropicAPIKey: { key: 'sk-ant-test' } },
        },
      ],
    });
  });

  it('reports Accepted for every object it uses and nothing for routes of other controllers', () => {
    const result = evaluateAIGateway(world(), options);
    expect(result.statuses.map((s) => formatResourceKey(s.key))).toEqual([
      'aigateway.envoyproxy.io/AIGatewayRoute/ai/chat',
      'aigateway.envoyproxy.io/AIGatewayRoute/ai/claude',
      'aigateway.envoyproxy.io/AIServiceBackend/ai/anthropic',
      'aigateway.envoyproxy.io/AIServiceBackend/ai/openai',
      'aigateway.envoyproxy.io/BackendSecurityPolicy/ai/anthropic-key',
      'aigateway.envoyproxy.io/BackendSecurityPolicy/ai/openai-key',
    ]);
    expect(statusOf(result, 'AIGatewayRoute', 'claude')).toEqual([
      {
        type: 'Accepted',
        status: 'True',
        reason: 'Accepted',
        message: 'AI Gateway route accepted: claude-sonnet',
        lastTransitionTime: NOW,
        observedGeneration: 3,
      },
    ]);
    for (const status of result.statuses) expect(status.status.conditions?.[0]?.type).toBe('Accepted');
  });

  it('keeps lastTransitionTime while the condition holds', () => {
    const store = world();
    for (const { key, status } of evaluateAIGateway(store, options).statuses) {
      const object = store.get(key.kind as 'AIGatewayRoute', key.namespace, key.name)!;
      store.upsert({ ...object, status } as AnyResource);
    }
    const again = evaluateAIGateway(store, { ...options, now: LATER });
    expect(statusOf(again, 'AIGatewayRoute', 'chat')?.[0]?.lastTransitionTime).toBe(NOW);
  });
});

describe('AIGatewayRoute → Gateway IR', () => {
  it('routes each model and backend by the headers the service sets, after a catch-all for the first pass', () => {
    const store = world();
    const claude = store.get('AIGatewayRoute', 'ai', 'claude')!;
    const { evaluation } = evaluateAIGatewayRoute(claude, store, options);
    expect(evaluation.route).toEqual(
      resourceKey('aigateway.envoyproxy.io', 'AIGatewayRoute', 'ai', 'claude'),
    );
    expect(evaluation.extProc).toBe(true);
    expect(evaluation.parents.map((p) => p.accepted)).toEqual([true]);
    expect(evaluation.rules.map((r) => r.matches)).toEqual([
      [
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [
            { name: 'x-ai-eg-model', value: 'claude-sonnet' },
            { type: 'Exact', name: 'x-ai-eg-backend', value: 'ai/claude/rule/0/ref/0' },
          ],
        },
      ],
      [{ path: { type: 'PathPrefix', value: '/' } }],
    ]);
    expect(evaluation.rules[0]?.backends[0]?.result).toMatchObject({
      ok: true,
      backend: { kind: 'Service', port: 8000, endpoints: [{ address: '127.0.0.1', port: 18002 }] },
    });
    expect(evaluation.rules[0]?.timing.timeouts?.requestMs).toBe(60_000);
    expect(evaluation.rules[1]?.backends).toEqual([]);

    const gateway = store.get('Gateway', 'ai', 'ai-gateway')!;
    const evaluations = ['chat', 'claude'].map(
      (name) => evaluateAIGatewayRoute(store.get('AIGatewayRoute', 'ai', name)!, store, options).evaluation,
    );
    const ir = buildGatewayIR(gateway, store, evaluations, { controllerName: CONTROLLER });
    const routes = ir?.ports[0]?.listeners[0]?.routes ?? [];
    expect(routes.map((r) => [r.route.name, r.kind, r.extProc])).toEqual([
      ['chat', 'HTTPRoute', true],
      ['claude', 'HTTPRoute', true],
    ]);
    expect([...countAttachedRoutes(evaluations).values()]).toEqual([2]);
  });

  it('depends on its Gateways (and their GatewayConfigs) and AIServiceBackends; backends on their Service and policies; policies on Secrets', () => {
    const store = world();
    const ids = (object: AnyResource) => dependenciesOf(object).map(formatResourceKey);
    expect(ids(store.get('AIGatewayRoute', 'ai', 'chat')!)).toEqual([
      'core/Namespace//ai',
      'aigateway.envoyproxy.io/AIServiceBackend/ai/openai',
      'aigateway.envoyproxy.io/GatewayConfig/ai/*',
      'gateway.networking.k8s.io/Gateway/ai/ai-gateway',
    ]);
    expect(ids(store.get('AIServiceBackend', 'ai', 'openai')!)).toEqual([
      'core/Service/ai/openai',
      'aigateway.envoyproxy.io/BackendSecurityPolicy/ai/*',
      'aigateway.envoyproxy.io/QuotaPolicy/ai/*',
    ]);
    expect(ids(store.get('BackendSecurityPolicy', 'ai', 'anthropic-key')!)).toEqual([
      'core/Secret/ai/anthropic-key',
    ]);
  });
});

describe('bad input becomes conditions', () => {
  function evaluateWith(...objects: AnyResource[]) {
    const store = world();
    for (const object of objects) store.upsert(object);
    return evaluateAIGateway(store, options);
  }

  it('a missing AIServiceBackend: NotAccepted and ResolvedRefs=False naming it', () => {
    const result = evaluateWith(route('broken', { rules: [rule('m', 'nope')] }) as unknown as AnyResource);
    const conditions = statusOf(result, 'AIGatewayRoute', 'broken');
    expect(conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['NotAccepted', 'False', 'BackendNotFound'],
      ['ResolvedRefs', 'False', 'BackendNotFound'],
    ]);
    expect(conditions?.[1]?.message).toBe('spec.rules[0].backendRefs[0]: AIServiceBackend ai/nope not found');
    expect(result.config.rules.flatMap((r) => r.models)).not.toContain('m');
  });

  it('an Envoy Gateway Backend: the provider host from its DNS name, the route sending to it', () => {
    const provider = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'Backend',
      metadata: { name: 'openai-api', namespace: 'ai' },
      spec: {
        endpoints: [{ fqdn: { hostname: 'api.openai.com', port: 443 } }],
        tls: { wellKnownCACertificates: 'System', sni: 'api.openai.com' },
      },
    };
    const viaBackend = {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIServiceBackend',
      metadata: { name: 'via-backend', namespace: 'ai' },
      spec: {
        schema: { name: 'OpenAI' },
        backendRef: { group: 'gateway.envoyproxy.io', kind: 'Backend', name: 'openai-api' },
      },
    };
    const store = world();
    for (const object of [provider, viaBackend, route('eg', { rules: [rule('gpt-eg', 'via-backend')] })])
      store.upsert(object as unknown as AnyResource);
    const result = evaluateAIGateway(store, options);
    expect(statusOf(result, 'AIServiceBackend', 'via-backend')?.[0]?.type).toBe('Accepted');
    const key = resourceKey('aigateway.envoyproxy.io', 'AIGatewayRoute', 'ai', 'eg');
    expect(result.config.backends.find((b) => b.name === extProcBackendName(key, 0, 0))).toMatchObject({
      schema: { name: 'OpenAI' },
      host: 'api.openai.com',
    });
    const routed = evaluateAIGatewayRoute(
      store.get('AIGatewayRoute', 'ai', 'eg') as AIGatewayRoute,
      store,
      options,
    ).evaluation;
    const backend = routed.rules[0]?.backends[0]?.result;
    expect(backend?.ok && backend.backend).toMatchObject({
      kind: 'Backend',
      addressType: 'FQDN',
      endpoints: [{ address: 'api.openai.com', port: 443 }],
      tls: { sni: 'api.openai.com', verify: 'System' },
    });
  });

  it('a missing Envoy Gateway Backend, a missing Secret, an unsupported policy type and two policies', () => {
    const egBackend = {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIServiceBackend',
      metadata: { name: 'eg', namespace: 'ai' },
      spec: {
        schema: { name: 'OpenAI' },
        backendRef: { group: 'gateway.envoyproxy.io', kind: 'Backend', name: 'x' },
      },
    } as AIServiceBackend;
    const noSecret = {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'BackendSecurityPolicy',
      metadata: { name: 'no-secret', namespace: 'ai' },
      spec: {
        type: 'AzureAPIKey',
        targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'openai' }],
        azureAPIKey: { secretRef: { name: 'missing' } },
      },
    } as BackendSecurityPolicy;
    const result = evaluateWith(
      egBackend as unknown as AnyResource,
      noSecret as unknown as AnyResource,
      route('uses-eg', { rules: [rule('a', 'eg')] }) as unknown as AnyResource,
    );
    const eg = statusOf(result, 'AIServiceBackend', 'eg')?.[0];
    expect([eg?.type, eg?.reason]).toEqual(['NotAccepted', 'BackendNotFound']);
    expect(eg?.message).toBe('spec.backendRef: Backend ai/x not found');
    const openai = statusOf(result, 'AIServiceBackend', 'openai')?.[0];
    expect([openai?.type, openai?.reason]).toEqual(['NotAccepted', 'Conflicted']);
    expect(openai?.message).toContain('no-secret, openai-key');
    const policy = statusOf(result, 'BackendSecurityPolicy', 'no-secret')?.[0];
    expect([policy?.type, policy?.reason, policy?.message]).toEqual([
      'NotAccepted',
      'SecretNotFound',
      'spec.azureAPIKey.secretRef: Secret ai/missing not found',
    ]);
    // The route on the unusable backend is refused; the other routes keep working.
    expect(statusOf(result, 'AIGatewayRoute', 'uses-eg')?.[0]?.type).toBe('NotAccepted');
    // Credentials that cannot be used do not drop the backend: its requests are answered 401 with the reason,
    // never sent unauthenticated, and the route says what to fix.
    const chat = statusOf(result, 'AIGatewayRoute', 'chat');
    expect(chat?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'True', 'Accepted'],
      ['ResolvedRefs', 'False', 'Conflicted'],
    ]);
    expect(result.config.rules.flatMap((r) => r.models)).toEqual(['gpt-4o-mini', 'claude-sonnet']);
    expect(result.config.backends.find((b) => b.name === 'ai/chat/rule/0/ref/0')?.auth).toEqual({
      unavailable: 'BackendSecurityPolicies no-secret, openai-key all target this backend; keep one',
    });

    const gcp = evaluateWith({
      ...noSecret,
      metadata: { name: 'gcp', namespace: 'ai' },
      spec: {
        type: 'OIDC',
        targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'anthropic' }],
      },
    } as unknown as AnyResource);
    expect(statusOf(gcp, 'BackendSecurityPolicy', 'gcp')?.[0]?.message).toBe(
      'spec.type: OIDC is not supported; use APIKey, AzureAPIKey, AnthropicAPIKey, AWSCredentials, GCPCredentials or AzureCredentials',
    );
  });

  it('a rule without an Exact model match is dropped and named; a bad CEL cost refuses the route', () => {
    const partly = route('partly', {
      rules: [
        rule('good', 'openai'),
        { matches: [{ headers: [{ name: 'x-tenant', value: 'a' }] }], backendRefs: [{ name: 'openai' }] },
      ],
    });
    const cel = route('bad-cel', {
      llmRequestCosts: [{ metadataKey: 'cost', type: 'CEL', cel: 'input_tokens *' }],
      rules: [rule('cel', 'openai')],
    });
    const result = evaluateWith(partly as unknown as AnyResource, cel as unknown as AnyResource);
    const accepted = statusOf(result, 'AIGatewayRoute', 'partly')?.[0];
    expect([accepted?.type, accepted?.status]).toEqual(['Accepted', 'True']);
    expect(accepted?.message).toContain(
      'spec.rules[1].matches[0]: needs an Exact x-ai-eg-model header match (the ext_proc service picks the backend by model)',
    );
    const refused = statusOf(result, 'AIGatewayRoute', 'bad-cel')?.[0];
    expect([refused?.type, refused?.reason]).toEqual(['NotAccepted', 'UnsupportedValue']);
    expect(refused?.message).toMatch(/^spec\.llmRequestCosts\[0\]\.cel: the CEL expression does not parse/);
    expect(result.config.rules.flatMap((r) => r.models)).toEqual(['gpt-4o-mini', 'claude-sonnet', 'good']);
  });

  it('AWS credentials come from the profile of a shared credentials file in a Secret', () => {
    const aws = {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'BackendSecurityPolicy',
      metadata: { name: 'aws', namespace: 'ai' },
      spec: {
        type: 'AWSCredentials',
        targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'bedrock' }],
        awsCredentials: {
          region: 'us-east-1',
          credentialsFile: { secretRef: { name: 'aws' }, profile: 'prod' },
        },
      },
    };
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'aws', namespace: 'ai' },
      stringData: {
        credentials:
          '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = no\n\n[prod]\naws_access_key_id = AKIDPROD\naws_secret_access_key = s3cr3t\naws_session_token = tok\n',
      },
    };
    const bedrock = {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIServiceBackend',
      metadata: { name: 'bedrock', namespace: 'ai' },
      spec: { schema: { name: 'AWSBedrock' }, backendRef: { name: 'openai', port: 8000 } },
    };
    const result = evaluateWith(
      aws as unknown as AnyResource,
      secret as unknown as AnyResource,
      bedrock as unknown as AnyResource,
      route('bedrock', { rules: [rule('titan', 'bedrock')] }) as unknown as AnyResource,
    );
    expect(result.config.backends.find((b) => b.name === 'ai/bedrock/rule/0/ref/0')).toEqual({
      name: 'ai/bedrock/rule/0/ref/0',
      schema: { name: 'AWSBedrock' },
      auth: {
        aws: { region: 'us-east-1', accessKeyId: 'AKIDPROD', secretAccessKey: 's3cr3t', sessionToken: 'tok' },
      },
    });
  });

  it('malformed objects never throw', () => {
    const junk = [
      {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'AIGatewayRoute',
        metadata: { name: 'j1', namespace: 'ai' },
        spec: null,
      },
      {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'AIGatewayRoute',
        metadata: { name: 'j2', namespace: 'ai' },
        spec: { parentRefs: [{ name: 'ai-gateway' }], rules: [null, { matches: 'x', backendRefs: [7] }] },
      },
      {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'AIServiceBackend',
        metadata: { name: 'j3', namespace: 'ai' },
        spec: {},
      },
      {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'BackendSecurityPolicy',
        metadata: { name: 'j4', namespace: 'ai' },
        spec: { targetRefs: 'x' },
      },
    ];
    const result = evaluateWith(...(junk as unknown as AnyResource[]));
    expect(statusOf(result, 'AIGatewayRoute', 'j2')?.[0]?.type).toBe('NotAccepted');
    for (const object of junk) expect(() => dependenciesOf(object as unknown as AnyResource)).not.toThrow();
  });
});

describe('AIServiceBackends in other namespaces', () => {
  const shared = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'llm', namespace: 'shared' },
      spec: { ports: [{ name: 'http', port: 443 }] },
    },
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIServiceBackend',
      metadata: { name: 'llm', namespace: 'shared' },
      spec: { schema: { name: 'OpenAI' }, backendRef: { name: 'llm', kind: 'Service', port: 443 } },
    },
  ];
  const grant = (kind: string) => ({
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: `grant-${kind.toLowerCase()}`, namespace: 'shared' },
    spec: {
      from: [{ group: 'aigateway.envoyproxy.io', kind: 'AIGatewayRoute', namespace: 'ai' }],
      to: [{ group: kind === 'Secret' ? '' : 'aigateway.envoyproxy.io', kind }],
    },
  });
  const crossRoute = route('cross', {
    rules: [
      {
        matches: [{ headers: [{ name: 'x-ai-eg-model', value: 'm' }] }],
        backendRefs: [{ name: 'llm', namespace: 'shared' }],
      },
    ],
  });
  const key = resourceKey('aigateway.envoyproxy.io', 'AIGatewayRoute', 'ai', 'cross');
  function evaluate(...extra: object[]) {
    const store = world();
    for (const object of [...shared, ...extra, crossRoute]) store.upsert(object as unknown as AnyResource);
    return { store, result: evaluateAIGateway(store, options) };
  }

  it('granted (AIGatewayRoute → AIServiceBackend): used, its Service there resolved for the route', () => {
    const { store, result } = evaluate(grant('AIServiceBackend'));
    expect(statusOf(result, 'AIGatewayRoute', 'cross')?.map((c) => [c.type, c.reason])).toEqual([
      ['Accepted', 'Accepted'],
    ]);
    expect(result.config.rules.find((r) => r.models.includes('m'))).toEqual({
      models: ['m'],
      backends: [{ name: extProcBackendName(key, 0, 0), weight: 1 }],
    });
    const routed = evaluateAIGatewayRoute(crossRoute, store, options).evaluation;
    expect(routed.rules[0]?.backends[0]?.result).toMatchObject({ ok: true });
    expect(statusOf(result, 'AIServiceBackend', 'llm')?.[0]?.type).toBe('Accepted');
    expect(dependenciesOf(crossRoute as unknown as AnyResource).map(formatResourceKey)).toContain(
      'gateway.networking.k8s.io/ReferenceGrant/shared/*',
    );
  });

  it('without a grant for AIServiceBackends: RefNotPermitted, the rule kept with the backend refused (500), nothing routed', () => {
    for (const extra of [[], [grant('Secret')]]) {
      const { store, result } = evaluate(...extra);
      const conditions = statusOf(result, 'AIGatewayRoute', 'cross');
      expect(conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
        ['Accepted', 'True', 'Accepted'],
        ['ResolvedRefs', 'False', 'RefNotPermitted'],
      ]);
      const why =
        'spec.rules[0].backendRefs[0]: AIServiceBackend shared/llm is in another namespace and no ReferenceGrant there allows AIGatewayRoutes of ai to reference it';
      expect(conditions?.[1]?.message).toBe(why);
      expect(result.config.rules.find((r) => r.models.includes('m'))).toEqual({
        models: ['m'],
        backends: [{ name: extProcBackendName(key, 0, 0), weight: 1, refused: why }],
      });
      expect(result.config.backends.map((b) => b.name)).not.toContain(extProcBackendName(key, 0, 0));
      const routed = evaluateAIGatewayRoute(crossRoute, store, options).evaluation;
      expect(routed.rules.map((r) => r.name)).toEqual(['ai-gateway-catch-all']);
    }
  });
  it('without a grant, in a fallback rule: left out, as Envoy AI Gateway does, so its other priority serves every request', () => {
    const refs = (first: Record<string, unknown>, second: Record<string, unknown>) => ({
      matches: [{ headers: [{ name: 'x-ai-eg-model', value: 'm' }] }],
      backendRefs: [
        { name: 'llm', namespace: 'shared', ...first },
        { name: 'openai', ...second },
      ],
    });
    const why =
      'spec.rules[0].backendRefs[0]: AIServiceBackend shared/llm is in another namespace and no ReferenceGrant there allows AIGatewayRoutes of ai to reference it';
    const ruleOf = (spec: Record<string, unknown>) => {
      const store = world();
      for (const object of [...shared, route('cross', { rules: [spec] })])
        store.upsert(object as unknown as AnyResource);
      const result = evaluateAIGateway(store, options);
      expect(statusOf(result, 'AIGatewayRoute', 'cross')?.[1]).toMatchObject({
        type: 'ResolvedRefs',
        reason: 'RefNotPermitted',
        message: why,
      });
      return result.config.rules.find((r) => r.models.includes('m'));
    };
    // Priorities 0 (refused) and 1: the backend of priority 1 alone, with no refused share.
    expect(ruleOf(refs({ priority: 0 }, { priority: 1 }))).toEqual({
      models: ['m'],
      backends: [{ name: extProcBackendName(key, 0, 1), weight: 1 }],
    });
    // One priority, weighted: the refused backendRef keeps its share, answered 500.
    expect(ruleOf(refs({ weight: 1 }, { weight: 3 }))).toEqual({
      models: ['m'],
      backends: [
        { name: extProcBackendName(key, 0, 0), weight: 1, refused: why },
        { name: extProcBackendName(key, 0, 1), weight: 3 },
      ],
    });
  });
});
