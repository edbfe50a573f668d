// Real Envoy + our ext_proc service + fake providers on loopback, driven by the official OpenAI SDK: token costs in
// Envoy's access log, usage chunks forced by costs, load, a full actor pool, disconnects and bad input. Every client
// API × schema pair is in api-matrix.test.ts.
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ExtProcServer } from '../../dataplane/extproc/index.ts';
import { type Envoy, freePort } from '../harness/envoy/index.ts';
import { collectChat } from './chat-stream.ts';
import { envoyAiResources, mergeResources } from './envoy-resources.ts';
import { type EnvoyWithExtProc, envoyJsonLines, startEnvoyWithExtProc } from './envoy-with-extproc.ts';
import {
  type FakeProvider,
  startFakeAnthropic,
  startFakeAzure,
  startFakeBedrock,
  startFakeVertex,
} from './fake-providers.ts';

const AWS_SECRET = 'test-secret-key/with+symbols';
const MAX_BODY = 64 * 1024;

const configYaml = `
maxRequestBodyBytes: ${MAX_BODY}
models:
  - { name: claude-client, ownedBy: anthropic, created: 1700000000 }
  - { name: bedrock-client, ownedBy: aws, created: 1700000001 }
rules:
  - models: [claude-client]
    backends: [anthropic]
    llmRequestCosts:
      - { metadataKey: llm_input_token, type: InputToken }
      - { metadataKey: llm_output_token, type: OutputToken }
      - { metadataKey: llm_total_token, type: TotalToken }
      - { metadataKey: llm_cost, type: CEL, cel: "input_tokens * 3u + output_tokens * 15u" }
  - { models: [bedrock-client], backends: [bedrock] }
  - { models: [gemini-client], backends: [vertex] }
  - { models: [azure-client], backends: [azure], llmRequestCosts: [{ metadataKey: llm_total_token, type: TotalToken }] }
backends:
  - name: anthropic
    schema: Anthropic
    modelNameOverride: claude-3-5-haiku-20241022
    auth: { anthropicAPIKey: { key: sk-ant-upstream } }
  - name: bedrock
    schema: AWSBedrock
    modelNameOverride: anthropic.claude-3-haiku-20240307-v1:0
    host: bedrock-runtime.us-east-1.amazonaws.com
    auth: { aws: { region: us-east-1, accessKeyId: AKIDUPSTREAM, secretAccessKey: "${AWS_SECRET}" } }
  - name: vertex
    schema: GCPVertexAI
    modelNameOverride: gemini-2.0-flash
    auth: { gcp: { accessToken: ya29.upstream, projectName: proj-7, region: europe-west4 } }
  - name: azure
    schema: { name: AzureOpenAI, version: 2024-10-21 }
    modelNameOverride: gpt-4o
    auth: { azureAPIKey: { key: azure-upstream } }
`;

let plane: EnvoyWithExtProc | undefined;
let envoy: Envoy | undefined;
let extProc: ExtProcServer;
/** A second service with a single actor behind its own listener, to fill its pool. */
let tinyExtProc: ExtProcServer;
let tinyClient: OpenAI;
let providers: Record<'anthropic' | 'bedrock' | 'vertex' | 'azure', FakeProvider>;
let client: OpenAI;
let listenerPort: number;
let accessLogPath: string;

beforeAll(async () => {
  const [anthropic, bedrock, vertex, azure] = await Promise.all([
    startFakeAnthropic(),
    startFakeBedrock(),
    startFakeVertex(),
    startFakeAzure(),
  ]);
  providers = { anthropic, bedrock, vertex, azure };
  const [port, tinyPort] = [await freePort(), await freePort()];
  listenerPort = port;
  const upstreams = {
    anthropic: anthropic.port,
    bedrock: bedrock.port,
    vertex: vertex.port,
    azure: azure.port,
  };
  plane = await startEnvoyWithExtProc({
    name: 'extproc',
    config: configYaml,
    poolSizes: [128, 1],
    resources: ({ dir, servicePorts }) => {
      accessLogPath = join(dir, 'access.log');
      return mergeResources(
        envoyAiResources({
          name: 'ai',
          listenerPort: port,
          extProcPort: servicePorts[0]!,
          upstreams,
          routes: [
            { model: 'claude-client', cluster: 'anthropic' },
            { model: 'bedrock-client', cluster: 'bedrock' },
            { model: 'gemini-client', cluster: 'vertex' },
            { model: 'azure-client', cluster: 'azure' },
          ],
          accessLogPath,
          bodyLimitBytes: MAX_BODY,
        }),
        envoyAiResources({
          name: 'ai-tiny',
          listenerPort: tinyPort,
          extProcPort: servicePorts[1]!,
          upstreams,
          routes: [{ model: 'claude-client', cluster: 'anthropic' }],
          accessLogPath: join(dir, 'tiny-access.log'),
          bodyLimitBytes: MAX_BODY,
        }),
      );
    },
    ready: [
      { port, models: 2 },
      { port: tinyPort, models: 2 },
    ],
  });
  envoy = plane.envoy;
  [extProc, tinyExtProc] = plane.services as [ExtProcServer, ExtProcServer];
  client = new OpenAI({
    baseURL: `http://127.0.0.1:${listenerPort}/v1`,
    apiKey: 'client-key',
    maxRetries: 0,
  });
  tinyClient = new OpenAI({
    baseURL: `http://127.0.0.1:${tinyPort}/v1`,
    apiKey: 'client-key',
    maxRetries: 0,
  });
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`Envoy log:\n${envoy?.log(60)}`));
});

afterAll(async () => {
  await plane?.stop();
  await Promise.all(Object.values(providers ?? {}).map((p) => p.close()));
});

const lastRequest = (provider: FakeProvider) => provider.received.at(-1)!;

describe('costs', () => {
  test("token usage reaches Envoy's access log as dynamic metadata, including the CEL cost", async () => {
    await client.chat.completions.create({
      model: 'claude-client',
      messages: [{ role: 'user', content: 'cost me' }],
    });
    const logged = await vi.waitFor(
      async () => {
        const lines = await envoyJsonLines(envoy!, accessLogPath);
        const entries = lines.filter((entry) => entry.model === 'claude-client' && entry.cost !== null);
        expect(entries.length, JSON.stringify(lines)).toBeGreaterThan(0);
        return entries.at(-1)!;
      },
      { timeout: 30_000, interval: 500 },
    );
    expect(logged).toMatchObject({
      path: '/v1/messages',
      status: 200,
      input_tokens: 21,
      output_tokens: 13,
      total_tokens: 34,
      cost: 21 * 3 + 13 * 15,
    });
  });
});

describe('usage chunks', () => {
  test('a translated stream ends with a usage chunk when the rule has costs, though the client did not ask', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude-client',
      messages: [{ role: 'user', content: 'Weather?' }],
      stream: true,
    });
    expect((await collectChat(stream)).usage).toEqual({
      prompt_tokens: 17,
      completion_tokens: 11,
      total_tokens: 28,
    });
  });

  test('an OpenAI stream is asked for include_usage upstream because the route has costs', async () => {
    const stream = await client.chat.completions.create({
      model: 'azure-client',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const collected = await collectChat(stream);
    expect(collected.content).toBe('Sunny in Paris.');
    expect(collected.usage).toEqual({ prompt_tokens: 17, completion_tokens: 11, total_tokens: 28 });
    expect(JSON.parse(lastRequest(providers.azure).body)).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});

describe('under load', () => {
  test('many concurrent requests to every provider, streamed and not, all succeed and free their actors', async () => {
    const models = ['claude-client', 'bedrock-client', 'gemini-client', 'azure-client'];
    const results = await Promise.all(
      Array.from({ length: 80 }, async (_, i) => {
        const model = models[i % models.length]!;
        const messages = [{ role: 'user' as const, content: `request ${i}` }];
        if (i % 2 === 0) return (await client.chat.completions.create({ model, messages })).model;
        const stream = await client.chat.completions.create({ model, messages, stream: true });
        const collected = await collectChat(stream);
        return collected.finish === null ? 'unfinished' : model;
      }),
    );
    expect(results).toEqual(Array.from({ length: 80 }, (_, i) => models[i % models.length]));
    await vi.waitFor(() => expect(extProc.stats()).toMatchObject({ busy: 0, openStreams: 0, rejected: 0 }), {
      timeout: 10_000,
    });
  });

  test('with every actor busy the service answers 503 at once, in the OpenAI shape, and recovers', async () => {
    const stall = providers.anthropic.stallNext();
    const abort = new AbortController();
    const held = await tinyClient.chat.completions.create(
      { model: 'claude-client', messages: [{ role: 'user', content: 'hold the only actor' }], stream: true },
      { signal: abort.signal },
    );
    const reading = collectChat(held).catch((e: unknown) => e);
    await stall.started;
    const refused = await tinyClient.chat.completions
      .create({ model: 'claude-client', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.InternalServerError);
    expect(refused).toMatchObject({
      status: 503,
      code: 'overloaded',
      message: '503 the AI gateway is at capacity; retry shortly',
    });
    expect((refused as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('1');
    expect(tinyExtProc.stats()).toMatchObject({ size: 1, busy: 1, rejected: 1 });
    stall.release();
    expect(await reading).toMatchObject({ content: 'Sunny in Paris.' });
    await vi.waitFor(() => expect(tinyExtProc.stats().busy).toBe(0), { timeout: 10_000 });
    const after = await tinyClient.chat.completions.create({
      model: 'claude-client',
      messages: [{ role: 'user', content: 'y' }],
    });
    expect(after.model).toBe('claude-client');
  });
});

describe('bad input and upstream failures', () => {
  test('malformed JSON is a 400 in the OpenAI error shape', async () => {
    const response = await fetch(`http://127.0.0.1:${listenerPort}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "claude-client", "messages": [',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        message: 'the request body is not a valid JSON object',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  test('an unknown model is a 404 the SDK raises as NotFoundError', async () => {
    const error = await client.chat.completions
      .create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({
      status: 404,
      code: 'model_not_found',
      message: "404 the model 'no-such-model' does not exist",
    });
  });

  test("an upstream 429 and 500 come back in OpenAI's shape with their status", async () => {
    providers.anthropic.failNext({
      status: 429,
      body: JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }),
    });
    const limited = await client.chat.completions
      .create({ model: 'claude-client', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited).toMatchObject({ status: 429, type: 'rate_limit_error', message: '429 slow down' });
    providers.bedrock.failNext({
      status: 500,
      body: '{"message":"internal failure"}',
      headers: { 'x-amzn-errortype': 'InternalServerException:http://x/' },
    });
    const failed = await client.chat.completions
      .create({ model: 'bedrock-client', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    expect(failed).toMatchObject({
      status: 500,
      type: 'InternalServerException',
      message: '500 internal failure',
    });
  });

  test('a request over the configured size limit is a 413', async () => {
    const error = await client.chat.completions
      .create({ model: 'claude-client', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY) }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 413, code: 'request_too_large' });
  });

  test('a client that disconnects mid-stream releases its actor', async () => {
    const stall = providers.anthropic.stallNext();
    const abort = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'claude-client', messages: [{ role: 'user', content: 'long answer' }], stream: true },
      { signal: abort.signal },
    );
    const reading = collectChat(stream).catch((e: unknown) => e);
    await stall.started;
    await vi.waitFor(() => expect(extProc.stats().busy).toBe(1), { timeout: 10_000 });
    abort.abort();
    expect(await reading).toMatchObject({ finish: null }); // the SDK ends the iteration early
    await stall.closed; // Envoy reset the upstream request too
    stall.release();
    await vi.waitFor(() => expect(extProc.stats()).toMatchObject({ busy: 0, openStreams: 0 }), {
      timeout: 10_000,
    });
  });
});
