// AIGatewayRoutes on agentgateway, from manifests: each rule is an AI Backend whose provider groups are its
// backendRefs by priority (schema's provider, model override, endpoint, credentials, TLS, header mutation, timeout),
// each model a ModelRoute on the listener; every resource fits agentgateway's proto. What agentgateway cannot
// express is not served there and is named in the route's status.
import { describe, expect, it } from 'vitest';
import { evaluateAIGatewayRoute } from '../../model/ai-gateway/route-evaluation.ts';
import { buildGatewayIR } from '../../model/evaluation/build-gateway-ir.ts';
import type { AIGatewayRoute } from '../../model/resources/ai-gateway.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import { CONTROLLER, NOW, storeOf } from '../../model/testdata/fixtures.ts';
import { agentgatewayApi } from '../../protos/agentgateway-api.ts';
import { encodeSnapshot } from './snapshot.ts';
import { onAgentgateway } from './testdata/agentgateway-class.ts';
import { translateGateway } from './translate-gateway.ts';

const options = { controllerName: CONTROLLER, now: NOW };
const LISTENER = '8080/ai/ai-gateway/Gateway/ai/ai-gateway/http';
const model = (route: string, rule: number, name: string) =>
  `${LISTENER}/AIGatewayRoute/ai/${route}/${rule}/${name}`;

/** The AI Gateway fixture with its GatewayClass on agentgateway, plus `extra` objects. */
function agentgatewayWorld(...extra: object[]): ResourceStore {
  const store = onAgentgateway(storeOf('ai-gateway.yaml'));
  for (const object of extra) store.upsert(object as never);
  return store;
}

function translate(store: ResourceStore) {
  const routes = store.list('AIGatewayRoute') as AIGatewayRoute[];
  const evaluations = routes.map((route) => evaluateAIGatewayRoute(route, store, options));
  const ir = buildGatewayIR(
    store.get('Gateway', 'ai', 'ai-gateway')!,
    store,
    evaluations.map((e) => e.evaluation),
    { controllerName: CONTROLLER },
  )!;
  const status = (name: string) =>
    evaluations.find((e) => e.evaluation.route.name === name)?.status.conditions?.[0];
  return { resources: translateGateway(ir, {}), status };
}

const aiRoute = (name: string, rules: object[], spec: object = {}) => ({
  apiVersion: 'aigateway.envoyproxy.io/v1beta1',
  kind: 'AIGatewayRoute',
  metadata: { name, namespace: 'ai', generation: 1, creationTimestamp: '2025-06-01T00:00:00Z' },
  spec: { parentRefs: [{ name: 'ai-gateway' }], rules, ...spec },
});
const modelMatch = (value: string, ...headers: object[]) => ({
  headers: [{ type: 'Exact', name: 'x-ai-eg-model', value }, ...headers],
});

describe('AIGatewayRoutes on agentgateway', () => {
  it('makes each rule an AI Backend with its provider, credentials and model override, each model a ModelRoute', () => {
    const { resources, status } = translate(agentgatewayWorld());
    expect(resources.modelRoutes).toEqual({
      [model('chat', 0, 'gpt-4o-mini')]: {
        key: model('chat', 0, 'gpt-4o-mini'),
        listenerKey: LISTENER,
        match: { model: 'gpt-4o-mini' },
        concreteModel: { backend: { backend: 'ai/ai/chat/0' } },
        created: 1746057600,
      },
      [model('claude', 0, 'claude-sonnet')]: {
        key: model('claude', 0, 'claude-sonnet'),
        listenerKey: LISTENER,
        match: { model: 'claude-sonnet' },
        concreteModel: { backend: { backend: 'ai/ai/claude/0' } },
        created: 1746144000,
      },
    });
    expect(resources.backends['ai/ai/chat/0']).toEqual({
      key: 'ai/ai/chat/0',
      name: { name: 'chat', namespace: 'ai' },
      ai: {
        providerGroups: [
          {
            providers: [
              {
                name: 'ai/chat/rule/0/ref/0',
                hostOverride: { host: '127.0.0.1', port: 18001 },
                pathPrefix: '/v1',
                openai: {},
                inlinePolicies: [
                  {
                    auth: {
                      key: {
                        secret: 'sk-openai-test',
                        authorizationLocation: { header: { name: 'Authorization', prefix: 'Bearer ' } },
                      },
                    },
                  },
                  { backendHttp: { requestTimeout: '60s' } },
                ],
              },
            ],
          },
        ],
      },
    });
    expect(resources.backends['ai/ai/claude/0']?.ai).toEqual({
      providerGroups: [
        {
          providers: [
            {
              name: 'ai/claude/rule/0/ref/0',
              hostOverride: { host: '127.0.0.1', port: 18002 },
              pathPrefix: '/v1',
              anthropic: { model: 'claude-sonnet-4-20250514' },
              inlinePolicies: [
                {
                  auth: {
                    key: { secret: 'sk-ant-test', authorizationLocation: { header: { name: 'x-api-key' } } },
                  },
                },
                { backendHttp: { requestTimeout: '60s' } },
              ],
            },
          ],
        },
      ],
    });
    // No Route of these AIGatewayRoutes: agentgateway's model table takes their requests, no ext_proc runs.
    expect(Object.keys(resources.routes)).toEqual([]);
    expect(resources.problems).toEqual([]);
    expect(status('chat')).toMatchObject({
      type: 'Accepted',
      status: 'True',
      message: 'AI Gateway route accepted: gpt-4o-mini',
    });
    // Every resource fits the proto and comes back the same from the wire.
    const api = agentgatewayApi();
    const snapshot = encodeSnapshot(1, resources);
    const names = [...snapshot.types.values()].flatMap((resources) => [...resources.keys()]);
    expect(names).toContain(`modelroute/${model('chat', 0, 'gpt-4o-mini')}`);
    for (const json of Object.values(resources.modelRoutes)) {
      const decoded = api.decodeResource(api.encodeResource({ modelRoute: json })) as { modelRoute: unknown };
      expect(decoded.modelRoute).toEqual({ ...json, created: String(json.created) });
    }
    for (const json of Object.values(resources.backends))
      expect(api.decodeResource(api.encodeResource({ backend: json }))).toEqual({ backend: json });
  });

  it('puts backends of several priorities in provider groups in priority order, AWS credentials signed for Bedrock', () => {
    const { resources } = translate(
      agentgatewayWorld(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'aws', namespace: 'ai' },
          stringData: {
            credentials: '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalr\n',
          },
        },
        {
          apiVersion: 'aigateway.envoyproxy.io/v1beta1',
          kind: 'AIServiceBackend',
          metadata: { name: 'bedrock', namespace: 'ai', generation: 1 },
          spec: {
            schema: { name: 'AWSBedrock' },
            backendRef: { name: 'anthropic', kind: 'Service', port: 8000 },
            headerMutation: { set: [{ name: 'x-team', value: 'ml' }], remove: ['x-debug'] },
          },
        },
        {
          apiVersion: 'aigateway.envoyproxy.io/v1beta1',
          kind: 'BackendSecurityPolicy',
          metadata: { name: 'aws', namespace: 'ai', generation: 1 },
          spec: {
            targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'bedrock' }],
            type: 'AWSCredentials',
            awsCredentials: { region: 'us-east-1', credentialsFile: { secretRef: { name: 'aws' } } },
          },
        },
        aiRoute('fallback', [
          {
            matches: [modelMatch('llama')],
            timeouts: { request: '30s' },
            backendRefs: [
              { name: 'bedrock', priority: 1, modelNameOverride: 'meta.llama3' },
              { name: 'openai', priority: 0 },
            ],
          },
        ]),
      ),
    );
    const backend = resources.backends['ai/ai/fallback/0'] as {
      ai: { providerGroups: { providers: Json[] }[] };
    };
    const groups = backend.ai.providerGroups;
    expect(groups.map((group) => group.providers.map((provider) => provider.name))).toEqual([
      ['ai/fallback/rule/0/ref/1'],
      ['ai/fallback/rule/0/ref/0'],
    ]);
    expect(groups[1]!.providers[0]).toEqual({
      name: 'ai/fallback/rule/0/ref/0',
      hostOverride: { host: '127.0.0.1', port: 18002 },
      pathPrefix: '',
      bedrock: { model: 'meta.llama3', region: 'us-east-1' },
      inlinePolicies: [
        {
          auth: {
            aws: {
              explicitConfig: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalr', region: 'us-east-1' },
              serviceName: 'bedrock',
            },
          },
        },
        { requestHeaderModifier: { set: [{ name: 'x-team', value: 'ml' }], remove: ['x-debug'] } },
        { backendHttp: { requestTimeout: '30s' } },
      ],
    });
    const api = agentgatewayApi();
    const json = resources.backends['ai/ai/fallback/0']!;
    expect(api.decodeResource(api.encodeResource({ backend: json }))).toEqual({ backend: json });
  });

  it('maps an AzureOpenAI backend onto the azure provider with its API version and api-key; refuses one without a key', () => {
    const azure = (name: string, policy: boolean) => [
      {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'AIServiceBackend',
        metadata: { name, namespace: 'ai', generation: 1 },
        spec: {
          schema: { name: 'AzureOpenAI', version: '2025-01-01-preview' },
          backendRef: { name: 'openai', kind: 'Service', port: 8000 },
        },
      },
      ...(policy
        ? [
            {
              apiVersion: 'aigateway.envoyproxy.io/v1beta1',
              kind: 'BackendSecurityPolicy',
              metadata: { name: `${name}-key`, namespace: 'ai', generation: 1 },
              spec: {
                targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name }],
                type: 'AzureAPIKey',
                azureAPIKey: { secretRef: { name: 'openai-key' } },
              },
            },
          ]
        : []),
    ];
    const { resources, status } = translate(
      agentgatewayWorld(
        ...azure('azure', true),
        ...azure('azure-keyless', false),
        aiRoute('deployments', [
          {
            matches: [modelMatch('gpt-4o-azure')],
            backendRefs: [{ name: 'azure', modelNameOverride: 'gpt-4o' }],
          },
          { matches: [modelMatch('keyless')], backendRefs: [{ name: 'azure-keyless' }] },
        ]),
      ),
    );
    const backend = resources.backends['ai/ai/deployments/0'] as {
      ai: { providerGroups: { providers: Json[] }[] };
    };
    expect(backend.ai.providerGroups[0]?.providers).toEqual([
      {
        name: 'ai/deployments/rule/0/ref/0',
        hostOverride: { host: '127.0.0.1', port: 18001 },
        pathPrefix: '',
        azure: {
          resourceName: '127',
          model: 'gpt-4o',
          apiVersion: '2025-01-01-preview',
        },
        inlinePolicies: [
          {
            auth: {
              key: { secret: 'sk-openai-test', authorizationLocation: { header: { name: 'api-key' } } },
            },
          },
          { backendHttp: { requestTimeout: '60s' } },
        ],
      },
    ]);
    const api = agentgatewayApi();
    expect(api.decodeResource(api.encodeResource({ backend }))).toEqual({ backend });
    expect(Object.keys(resources.modelRoutes).filter((key) => key.includes('/deployments/'))).toEqual([
      model('deployments', 0, 'gpt-4o-azure'),
    ]);
    expect(status('deployments')?.message).toContain(
      'spec.rules[1].backendRefs[0] (AIServiceBackend ai/azure-keyless) BackendSecurityPolicy: an AzureOpenAI backend needs AzureAPIKey on agentgateway',
    );
  });

  it('serves none of a rule agentgateway cannot express, names the field, and keeps the rest', () => {
    const { resources, status } = translate(
      agentgatewayWorld(
        aiRoute('mixed', [
          { matches: [modelMatch('gpt-4o')], backendRefs: [{ name: 'openai' }] },
          {
            matches: [modelMatch('gpt-4o-team', { type: 'Exact', name: 'x-team', value: 'ml' })],
            backendRefs: [{ name: 'openai' }],
          },
        ]),
        aiRoute('by-host', [{ matches: [modelMatch('o3')], backendRefs: [{ name: 'openai' }] }], {
          hostnames: ['ai.example.com'],
        }),
      ),
    );
    expect(Object.keys(resources.modelRoutes)).toContain(model('mixed', 0, 'gpt-4o'));
    expect(
      Object.keys(resources.modelRoutes).filter(
        (key) => !key.includes('/AIGatewayRoute/ai/chat/') && !key.includes('/claude/'),
      ),
    ).toEqual([model('mixed', 0, 'gpt-4o')]);
    expect(resources.problems).toEqual([
      "AIGatewayRoute ai/by-host is not served on agentgateway: spec.hostnames: agentgateway's model table serves every hostname of its listener",
      "AIGatewayRoute ai/mixed rule 1 is not served on agentgateway: spec.rules[1].matches[0].headers: agentgateway's model table matches the request's model only, not header 'x-team'",
    ]);
    expect(status('mixed')).toMatchObject({
      type: 'Accepted',
      status: 'True',
      message: expect.stringContaining(
        "not served on Gateway ai/ai-gateway (agentgateway): spec.rules[1].matches[0].headers: agentgateway's model table matches the request's model only, not header 'x-team'",
      ),
    });
    expect(status('by-host')).toMatchObject({
      type: 'NotAccepted',
      status: 'False',
      reason: 'UnsupportedValue',
      message:
        "parentRefs: Gateway ai/ai-gateway (agentgateway) cannot serve this route: spec.hostnames: agentgateway's model table serves every hostname of its listener",
    });
  });

  it('does not serve a rule whose backend a QuotaPolicy counts: its quota is an Envoy rate limit', () => {
    const { resources, status } = translate(
      agentgatewayWorld({
        apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
        kind: 'QuotaPolicy',
        metadata: { name: 'budget', namespace: 'ai', generation: 1 },
        spec: {
          targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'openai' }],
          serviceQuota: { quota: { limit: 1000, duration: '1h' } },
        },
      }),
    );
    expect(Object.keys(resources.modelRoutes)).toEqual([model('claude', 0, 'claude-sonnet')]);
    expect(resources.problems).toEqual([
      'AIGatewayRoute ai/chat rule 0 is not served on agentgateway: spec.rules[0].backendRefs: a QuotaPolicy counts their tokens, which Switchyard does not program on agentgateway',
    ]);
    expect(status('chat')).toMatchObject({ type: 'NotAccepted', reason: 'UnsupportedValue' });
  });

  it('a rule whose backendRefs are all refused (not granted) goes to a backend nothing publishes (500), as on Envoy', () => {
    const { resources, status } = translate(
      agentgatewayWorld(
        aiRoute('cross', [
          { matches: [modelMatch('private')], backendRefs: [{ name: 'llm', namespace: 'vault' }] },
          {
            matches: [modelMatch('mixed')],
            backendRefs: [{ name: 'llm', namespace: 'vault' }, { name: 'openai' }],
          },
        ]),
      ),
    );
    expect(resources.modelRoutes[model('cross', 0, 'private')]?.concreteModel).toEqual({
      backend: { backend: 'unavailable/ai/ai/cross/0/no-provider' },
    });
    // Where one is granted, the rule is served by it alone: the model table cannot give the refused share a 500.
    expect(resources.modelRoutes[model('cross', 1, 'mixed')]?.concreteModel).toEqual({
      backend: { backend: 'ai/ai/cross/1' },
    });
    expect(status('cross')).toMatchObject({ type: 'Accepted', status: 'True' });
  });

  it('never calls a backend whose credentials cannot be used: its rule goes to a backend nothing publishes (500)', () => {
    const store = agentgatewayWorld();
    store.delete({ kind: 'Secret', namespace: 'ai', name: 'openai-key' });
    const { resources } = translate(store);
    expect(resources.modelRoutes[model('chat', 0, 'gpt-4o-mini')]?.concreteModel).toEqual({
      backend: { backend: 'unavailable/ai/ai/chat/0/no-provider' },
    });
    expect(resources.backends['ai/ai/chat/0']).toBeUndefined();
    expect(resources.problems).toEqual([
      expect.stringMatching(
        /^8080\/ai\/ai-gateway\/Gateway\/ai\/ai-gateway\/http: AI backend ai\/chat\/rule\/0\/ref\/0 gets no traffic: its credentials cannot be used: /,
      ),
    ]);
  });
});

type Json = Record<string, unknown>;
