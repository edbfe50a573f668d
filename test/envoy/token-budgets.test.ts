// AI token budgets end to end: the controller in standalone mode reads AIGatewayRoutes, a BackendTrafficPolicy whose
// global rate limit rule costs each request nothing up front and its token usage once the response is done (the
// route's llmRequestCosts, written by our ext_proc service to Envoy's dynamic metadata), and an Envoy AI Gateway
// QuotaPolicy, which becomes the same kind of rule on its backend's model (model/ai-gateway/quota-policies.ts); a
// real Envoy, our ext_proc service, Envoy's rate limit service fed over xDS by the controller, Redis, and a fake
// OpenAI-compatible provider (test/extproc/ai-gateway-plane.ts). A user's call whose usage exceeds the budget
// makes that user's next calls 429 before they reach the provider, while another user is still served; a call
// past the quota of a model answers 429 to everyone for that model, and other models are still served. The
// limits (100 tokens) are far above the number of calls the test makes, so only the token usage can exhaust them.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type AiGatewayPlane,
  aiGateway,
  localProvider,
  startAiGatewayPlane,
} from '../extproc/ai-gateway-plane.ts';
import { type FakeProvider, startFakeAzure } from '../extproc/fake-providers.ts';

const BUDGET = 100;
const QUOTA = 100;
/** The fake provider's usage of one chat completion (21 prompt + 13 completion tokens). */
const TOKENS_PER_CALL = 34;

function manifests(gatewayPort: number, providerPort: number): string {
  return `${aiGateway(gatewayPort)}---
${localProvider({ name: 'openai', port: providerPort, key: 'sk-openai-upstream' })}---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: { name: models, namespace: ai }
spec:
  parentRefs: [{ name: ai-gateway }]
  llmRequestCosts: [{ metadataKey: llm_total_token, type: TotalToken }]
  rules:
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gpt-4o-mini }] }]
      backendRefs: [{ name: openai }]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: token-budget, namespace: ai }
spec:
  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIGatewayRoute, name: models }]
  rateLimit:
    global:
      rules:
        - clientSelectors: [{ headers: [{ name: x-user-id, type: Distinct }] }]
          limit: { requests: ${BUDGET}, unit: Hour }
          cost:
            request: { from: Number, number: 0 }
            response: { from: Metadata, metadata: { namespace: io.envoy.ai_gateway, key: llm_total_token } }
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: { name: quota, namespace: ai }
spec:
  parentRefs: [{ name: ai-gateway }]
  rules:
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: team-model }] }]
      backendRefs: [{ name: openai, modelNameOverride: gpt-4o-quota }]
---
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: QuotaPolicy
metadata: { name: openai-quota, namespace: ai }
spec:
  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: openai }]
  perModelQuotas:
    - modelName: gpt-4o-quota
      quota: { defaultBucket: { limit: ${QUOTA}, duration: 1h } }
`;
}

let gateway: AiGatewayPlane;
let provider: FakeProvider;

beforeAll(async () => {
  provider = await startFakeAzure();
  gateway = await startAiGatewayPlane({
    name: 'token-budget',
    manifests: (gatewayPort) => manifests(gatewayPort, provider.port),
    rules: 2,
    rateLimit: true,
  });
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await provider?.close();
});

async function chat(
  user: string,
  model = 'gpt-4o-mini',
): Promise<{ status: number; headers: Headers; totalTokens?: number }> {
  const response = await fetch(`http://127.0.0.1:${gateway.gatewayPort}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client', 'x-user-id': user },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello?' }] }),
  });
  const body = await response.text();
  const totalTokens =
    response.status === 200
      ? (JSON.parse(body) as { usage?: { total_tokens?: number } }).usage?.total_tokens
      : undefined;
  return { status: response.status, headers: response.headers, totalTokens };
}

/**
 * Calls until one answers 429 (at most 20): every call before it is served with the provider's usage, and there
 * are enough of them to spend `limit` tokens — without the token cost 20 calls would count 20 < 100.
 */
async function spendUntilRefused(
  call: () => Promise<{ status: number; totalTokens?: number }>,
  limit: number,
): Promise<void> {
  const statuses: number[] = [];
  while (statuses.length < 20 && !statuses.includes(429)) {
    const answer = await call();
    if (answer.status === 200) expect(answer.totalTokens).toBe(TOKENS_PER_CALL);
    statuses.push(answer.status);
  }
  const served = statuses.indexOf(429);
  expect(served, `statuses: ${statuses.join(' ')}`).toBeGreaterThanOrEqual(
    Math.ceil(limit / TOKENS_PER_CALL),
  );
  expect(statuses.slice(0, served).every((status) => status === 200)).toBe(true);
}

describe('an AI token budget: a global rate limit whose cost is the token usage', () => {
  test('the policy is accepted on the AIGatewayRoute', () => {
    const status = gateway.plane.store.get('BackendTrafficPolicy', 'ai', 'token-budget')?.status as
      | { ancestors?: { conditions?: { type: string; status: string; message: string }[] }[] }
      | undefined;
    expect(status?.ancestors?.[0]?.conditions?.find((c) => c.type === 'Accepted')).toMatchObject({
      status: 'True',
    });
  });

  test("calls past a user's token budget answer 429 before reaching the provider; another user is served", async () => {
    // Until the budget is spent every call is served: two calls use 68 of the 100 tokens, so the third still
    // passes. Past it (the usage of a call counts once its response is done, so a call may still slip through
    // before the count lands) calls answer 429.
    await spendUntilRefused(() => chat('alice'), BUDGET);

    const reached = provider.received.length;
    const refused = await chat('alice');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-limit')).toMatch(new RegExp(`^${BUDGET}\\b`));
    expect(provider.received.length).toBe(reached);

    const other = await chat('bob');
    expect(other.status).toBe(200);
    expect(other.totalTokens).toBe(TOKENS_PER_CALL);
    expect(provider.received.length).toBe(reached + 1);
  });
});

describe('an Envoy AI Gateway QuotaPolicy: a token quota per backend and model', () => {
  test('the policy is accepted', () => {
    expect(
      gateway.plane.store.get('QuotaPolicy', 'ai', 'openai-quota')?.status?.conditions?.[0],
    ).toMatchObject({ type: 'Accepted', status: 'True' });
  });

  test('calls past the quota of a model answer 429 to every user before reaching the provider; other models are served', async () => {
    // The quota counts the model's calls whoever makes them: each call is another user's.
    let call = 0;
    await spendUntilRefused(() => chat(`user-${call++}`, 'team-model'), QUOTA);
    // The model the provider was asked for is the backendRef's override the quota names.
    expect(JSON.parse(provider.received.at(-1)?.body ?? '{}')).toMatchObject({ model: 'gpt-4o-quota' });

    const reached = provider.received.length;
    const refused = await chat('someone-new', 'team-model');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-limit')).toMatch(new RegExp(`^${QUOTA}\\b`));
    expect(provider.received.length).toBe(reached);

    const other = await chat('someone-new');
    expect(other.status).toBe(200);
    expect(provider.received.length).toBe(reached + 1);
  });
});
