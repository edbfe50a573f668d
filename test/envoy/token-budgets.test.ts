// An AI token budget end to end: the controller in standalone mode reads an AIGatewayRoute and a
// BackendTrafficPolicy whose global rate limit rule costs each request nothing up front and its token usage once
// the response is done (the route's llmRequestCosts, written by our ext_proc service to Envoy's dynamic metadata);
// a real Envoy, our ext_proc service, Envoy's rate limit service fed over xDS by the controller, Redis, and a
// fake OpenAI-compatible provider. A user's call whose usage exceeds the budget makes that user's next calls
// 429 before they reach the provider, while another user is still served. The budget (100 tokens) is far above
// the number of calls the test makes, so only the token usage can exhaust it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GATEWAY_DEPLOYER } from '../../actors/gateway-deployer/index.ts';
import {
  envoyBackendSpec,
  nodeClusterOf,
  RateLimitServiceFeed,
  XdsServer,
} from '../../backends/envoy/index.ts';
import { type ControlPlane, createControlPlane } from '../../cli/control-plane.ts';
import { fileExtProcConfigPort } from '../../cli/extproc-config-port.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import type { ActorSpec } from '../../runtime/Actor.ts';
import { createLogger } from '../../runtime/logger.ts';
import type { Message } from '../../runtime/message.ts';
import { type RunningExtProc, startExtProcService } from '../extproc/extproc-service.ts';
import { type FakeProvider, startFakeAzure } from '../extproc/fake-providers.ts';
import { type Envoy, freePort, startEnvoy } from '../harness/envoy/index.ts';
import { eventually } from '../harness/eventually.ts';
import {
  type RateLimitService,
  type Redis,
  startRateLimitService,
  startRedis,
} from '../harness/ratelimit/index.ts';

const BUDGET = 100;
/** The fake provider's usage of one chat completion (21 prompt + 13 completion tokens). */
const TOKENS_PER_CALL = 34;

function manifests(gatewayPort: number, providerPort: number): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: ai }
spec: { controllerName: switchyard.dev/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ai-gateway, namespace: ai }
spec:
  gatewayClassName: ai
  listeners: [{ name: http, protocol: HTTP, port: ${gatewayPort} }]
---
apiVersion: v1
kind: Service
metadata: { name: openai, namespace: ai }
spec: { ports: [{ name: http, port: 443 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: openai-1, namespace: ai, labels: { kubernetes.io/service-name: openai } }
addressType: IPv4
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]
ports: [{ name: http, port: ${providerPort} }]
---
apiVersion: v1
kind: Secret
metadata: { name: openai-key, namespace: ai }
stringData: { apiKey: sk-openai-upstream }
---
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: AIServiceBackend
metadata: { name: openai, namespace: ai }
spec:
  schema: { name: OpenAI }
  backendRef: { name: openai, kind: Service, port: 443 }
---
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: BackendSecurityPolicy
metadata: { name: openai-key, namespace: ai }
spec:
  type: APIKey
  targetRefs: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: openai }]
  apiKey: { secretRef: { name: openai-key } }
---
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
`;
}

let dir: string;
let xds: XdsServer;
let feed: RateLimitServiceFeed;
let plane: ControlPlane;
let envoy: Envoy | undefined;
let redis: Redis;
let rateLimitService: RateLimitService;
let provider: FakeProvider;
let extProc: RunningExtProc | undefined;
let gatewayPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-token-budget-'));
  const configPath = join(dir, 'run', 'extproc.yaml');
  [provider, redis] = await Promise.all([startFakeAzure(), startRedis()]);
  const [extProcPort, rlsPort] = [await freePort(), await freePort()];
  gatewayPort = await freePort();
  await writeFile(join(dir, 'ai.yaml'), manifests(gatewayPort, provider.port));
  xds = await XdsServer.start({ address: '127.0.0.1:0' });
  feed = new RateLimitServiceFeed(xds);
  const logger = createLogger({ level: 'silent' });
  plane = createControlPlane({
    logger,
    flushDelayMs: 20,
    files: { paths: [join(dir, 'ai.yaml')], watch: false },
    extProcConfig: fileExtProcConfigPort(configPath),
    backends: {
      envoy: envoyBackendSpec({
        name: 'backend.envoy',
        deployer: GATEWAY_DEPLOYER,
        xds: feed,
        translate: {
          bindAddress: '127.0.0.1',
          extProcAddress: `127.0.0.1:${extProcPort}`,
          rateLimitService: { address: `127.0.0.1:${rlsPort}` },
        },
      }) as unknown as ActorSpec<Message>,
    },
  });
  plane.system.start();
  // As the controller does: proxy reports reach the backend through the feed, which keeps the service's own.
  feed.onReport((report) => void plane.system.send('backend.envoy', report).catch(() => {}));
  rateLimitService = await startRateLimitService({
    name: 'token-budget',
    xdsAddress: xds.address,
    redis,
    grpcPort: rlsPort,
  });
  extProc = await startExtProcService({
    listen: `127.0.0.1:${extProcPort}`,
    configPath,
    logger,
    ready: (config) => config.rules.length === 1,
  });
  await eventually('the rate limit service to accept its configuration', () =>
    feed.revision > 0 && feed.accepted(rateLimitService.nodeId) === feed.revision ? true : undefined,
  ).catch((error: Error) => {
    throw new Error(
      `${error.message} (revision ${feed.revision}, accepted ${feed.accepted(rateLimitService.nodeId)})\n${rateLimitService.logTail(30)}`,
    );
  });
  envoy = await startEnvoy({
    adsAddress: xds.address,
    nodeId: 'token-budget-envoy',
    cluster: nodeClusterOf(resourceKey('gateway.networking.k8s.io', 'Gateway', 'ai', 'ai-gateway')),
    delta: true,
  });
  await eventually('the Gateway to answer /v1/models', async () =>
    (await fetch(`http://127.0.0.1:${gatewayPort}/v1/models`).catch(() => undefined))?.status === 200
      ? true
      : undefined,
  );
}, 120_000);

afterAll(async () => {
  await envoy?.stop();
  await extProc?.stop();
  plane?.close();
  await plane?.system.stop(2_000);
  await rateLimitService?.close();
  await xds?.stop();
  await Promise.all([provider?.close(), redis?.close()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function chat(user: string): Promise<{ status: number; headers: Headers; totalTokens?: number }> {
  const response = await fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client', 'x-user-id': user },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello?' }] }),
  });
  const body = await response.text();
  const totalTokens =
    response.status === 200
      ? (JSON.parse(body) as { usage?: { total_tokens?: number } }).usage?.total_tokens
      : undefined;
  return { status: response.status, headers: response.headers, totalTokens };
}

describe('an AI token budget: a global rate limit whose cost is the token usage', () => {
  test('the policy is accepted on the AIGatewayRoute', () => {
    const status = plane.store.get('BackendTrafficPolicy', 'ai', 'token-budget')?.status as
      | { ancestors?: { conditions?: { type: string; status: string; message: string }[] }[] }
      | undefined;
    expect(status?.ancestors?.[0]?.conditions?.find((c) => c.type === 'Accepted')).toMatchObject({
      status: 'True',
    });
  });

  test("calls past a user's token budget answer 429 before reaching the provider; another user is served", async () => {
    // Until the budget is spent every call is served: two calls use 68 of the 100 tokens, so the third still
    // passes. Past it (the usage of a call counts once its response is done, so a call may still slip through
    // before the count lands) calls answer 429. Without the token cost the 20 calls would count 20 < 100.
    const statuses: number[] = [];
    for (let call = 0; call < 20 && !statuses.includes(429); call++) {
      const answer = await chat('alice');
      if (answer.status === 200) expect(answer.totalTokens).toBe(TOKENS_PER_CALL);
      statuses.push(answer.status);
    }
    const served = statuses.indexOf(429);
    expect(served, `statuses: ${statuses.join(' ')}`).toBeGreaterThanOrEqual(
      Math.ceil(BUDGET / TOKENS_PER_CALL),
    );
    expect(statuses.slice(0, served).every((status) => status === 200)).toBe(true);

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
