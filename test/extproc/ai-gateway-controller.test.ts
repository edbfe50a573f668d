// The AI Gateway end to end: the controller in standalone mode reads Envoy AI Gateway manifests, programs a real
// Envoy (ext_proc filter, its cluster, model routes) and writes the ext_proc configuration file; our ext_proc
// service serves from that file; the official OpenAI SDK sends chat completions for two models, which reach a
// fake OpenAI-compatible upstream and a fake Anthropic upstream with the credentials from the Secrets.

import { gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type AiGatewayPlane, aiGateway, localProvider, startAiGatewayPlane } from './ai-gateway-plane.ts';
import { envoyJsonLines } from './envoy-with-extproc.ts';
import { type FakeProvider, startFakeAnthropic, startFakeAzure } from './fake-providers.ts';

function manifests(gatewayPort: number, openaiPort: number, anthropicPort: number): string {
  return `${aiGateway(gatewayPort)}---
${localProvider({ name: 'openai', port: openaiPort, key: 'sk-openai-upstream' })}---
${localProvider({ name: 'anthropic', port: anthropicPort, key: 'sk-ant-upstream', schema: 'Anthropic' })}---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: { name: models, namespace: ai }
spec:
  parentRefs: [{ name: ai-gateway }]
  llmRequestCosts:
    - { metadataKey: llm_total_token, type: TotalToken }
    - { metadataKey: llm_cost, type: CEL, cel: "input_tokens * 3u + output_tokens * 15u" }
  rules:
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: gpt-4o-mini }] }]
      backendRefs: [{ name: openai }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: claude-sonnet }] }]
      backendRefs: [{ name: anthropic, modelNameOverride: claude-3-5-haiku-20241022 }]
    # Priority fallback: Anthropic first, the OpenAI backend when it fails.
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: smart }] }]
      backendRefs:
        - { name: anthropic, priority: 0, modelNameOverride: claude-3-5-haiku-20241022 }
        - name: openai
          priority: 1
          modelNameOverride: gpt-4o
          headerMutation: { set: [{ name: x-tier, value: backup }] }
          bodyMutation: { set: [{ path: service_tier, value: '"flex"' }] }
---
# An AIServiceBackend in another namespace, with its own Service and credentials there: used under the grant below.
${localProvider({ name: 'shared-claude', port: anthropicPort, key: 'sk-ant-shared', schema: 'Anthropic', namespace: 'models' })}---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: ai-routes, namespace: models }
spec:
  from: [{ group: aigateway.envoyproxy.io, kind: AIGatewayRoute, namespace: ai }]
  to: [{ group: aigateway.envoyproxy.io, kind: AIServiceBackend }]
---
# One in a namespace that grants nothing: the reference is refused.
${localProvider({ name: 'private', port: openaiPort, key: 'sk-private', namespace: 'vault' })}---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: { name: cross, namespace: ai }
spec:
  parentRefs: [{ name: ai-gateway }]
  rules:
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: shared-claude }] }]
      backendRefs: [{ name: shared-claude, namespace: models, modelNameOverride: claude-3-5-haiku-20241022 }]
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: private-gpt }] }]
      backendRefs: [{ name: private, namespace: vault }]
    # A fallback rule whose first priority is refused: left out, the granted backend serves every request.
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: private-first }] }]
      backendRefs:
        - { name: private, namespace: vault, priority: 0 }
        - { name: shared-claude, namespace: models, priority: 1, modelNameOverride: claude-3-5-haiku-20241022 }
---
# The Gateway's buffer limit: also the AI routes' request body limit (Envoy's default is 1 MiB, the service's 4 MiB).
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: buffers, namespace: ai }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway }]
  connection: { bufferLimit: 3Mi }
`;
}

let gateway: AiGatewayPlane;
let plane: AiGatewayPlane['plane'];
let envoy: AiGatewayPlane['envoy'] | undefined;
let openaiUpstream: FakeProvider;
let anthropicUpstream: FakeProvider;
let client: OpenAI;
let gatewayPort: number;

beforeAll(async () => {
  // The fake Azure provider speaks the OpenAI schema on any path: our OpenAI-compatible upstream.
  [openaiUpstream, anthropicUpstream] = await Promise.all([startFakeAzure(), startFakeAnthropic()]);
  gateway = await startAiGatewayPlane({
    name: 'ai-e2e',
    manifests: (port) => manifests(port, openaiUpstream.port, anthropicUpstream.port),
    rules: 6,
  });
  ({ plane, envoy, gatewayPort } = gateway);
  client = new OpenAI({ baseURL: `http://127.0.0.1:${gatewayPort}/v1`, apiKey: 'sk-client', maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([openaiUpstream?.close(), anthropicUpstream?.close()]);
});

describe('AIGatewayRoute through the controller, Envoy and the ext_proc service', () => {
  test('the route and its backends are accepted and the models are listed', async () => {
    for (const [kind, name] of [
      ['AIGatewayRoute', 'models'],
      ['AIServiceBackend', 'openai'],
      ['AIServiceBackend', 'anthropic'],
      ['BackendSecurityPolicy', 'openai-key'],
      ['BackendSecurityPolicy', 'anthropic-key'],
    ] as const) {
      expect([name, plane.store.get(kind, 'ai', name)?.status?.conditions?.[0]?.type]).toEqual([
        name,
        'Accepted',
      ]);
    }
    const models = await client.models.list();
    expect(models.data.map((model) => model.id).sort()).toEqual([
      'claude-sonnet',
      'gpt-4o-mini',
      'private-first',
      'shared-claude',
      'smart',
    ]);
  });

  test('an AIServiceBackend in another namespace, under a ReferenceGrant there, is reached with its own credentials', async () => {
    const before = anthropicUpstream.received.length;
    const completion = await client.chat.completions.create({
      model: 'shared-claude',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Let me look that up.');
    expect(anthropicUpstream.received.length).toBe(before + 1);
    const seen = anthropicUpstream.received.at(-1)!;
    expect(seen.path).toBe('/v1/messages');
    // The BackendSecurityPolicy of the backend's namespace, not the route's.
    expect(seen.headers['x-api-key']).toBe('sk-ant-shared');
    expect(seen.headers['x-ai-eg-backend']).toBe('ai/cross/rule/0/ref/0');
    expect(JSON.parse(seen.body)).toMatchObject({ model: 'claude-3-5-haiku-20241022' });
    expect(
      plane.store.get('AIServiceBackend', 'models', 'shared-claude')?.status?.conditions?.[0]?.type,
    ).toBe('Accepted');
  });

  test('an AIServiceBackend in another namespace without a ReferenceGrant: RefNotPermitted, and its model answered 500, never routed', async () => {
    const conditions = plane.store.get('AIGatewayRoute', 'ai', 'cross')?.status?.conditions;
    expect(conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'True', 'Accepted'],
      ['ResolvedRefs', 'False', 'RefNotPermitted'],
    ]);
    const why =
      'spec.rules[1].backendRefs[0]: AIServiceBackend vault/private is in another namespace and no ReferenceGrant there allows AIGatewayRoutes of ai to reference it';
    expect(conditions?.[1]?.message).toBe(why);
    const before = openaiUpstream.received.length;
    const error = await client.chat.completions
      .create({ model: 'private-gpt', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 500, error: { message: why, code: 'backend_not_permitted' } });
    expect(openaiUpstream.received.length).toBe(before);
  });

  test('a fallback rule whose refused backendRef is left out (as Envoy AI Gateway does): every request served by the other priority', async () => {
    const before = { openai: openaiUpstream.received.length, anthropic: anthropicUpstream.received.length };
    for (let i = 0; i < 8; i++) {
      const completion = await client.chat.completions.create({
        model: 'private-first',
        messages: [{ role: 'user', content: `x${i}` }],
      });
      expect(completion.choices[0]?.message).toBeDefined();
    }
    expect(openaiUpstream.received.length).toBe(before.openai);
    const seen = anthropicUpstream.received.slice(before.anthropic);
    expect(seen.map((request) => request.headers['x-ai-eg-backend'])).toEqual(
      Array.from({ length: 8 }, () => 'ai/cross/rule/2/ref/1'),
    );
    expect(seen.map((request) => request.headers['x-api-key'])).toEqual(
      Array.from({ length: 8 }, () => 'sk-ant-shared'),
    );
  });

  test('a chat completion for gpt-4o-mini reaches the OpenAI upstream with its key', async () => {
    const before = openaiUpstream.received.length;
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello?' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Let me look that up.');
    expect(completion.usage?.total_tokens).toBe(34);
    expect(openaiUpstream.received.length).toBe(before + 1);
    const seen = openaiUpstream.received.at(-1)!;
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe('Bearer sk-openai-upstream');
    expect(seen.headers['x-ai-eg-model']).toBe('gpt-4o-mini');
    expect(JSON.parse(seen.body)).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello?' }],
    });
  });

  test('a chat completion for claude-sonnet is translated for the Anthropic upstream, and back', async () => {
    const before = anthropicUpstream.received.length;
    const completion = await client.chat.completions.create({
      model: 'claude-sonnet',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(anthropicUpstream.received.length).toBe(before + 1);
    const seen = anthropicUpstream.received.at(-1)!;
    expect(seen.path).toBe('/v1/messages');
    expect(seen.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(seen.headers.authorization).toBeUndefined();
    expect(JSON.parse(seen.body)).toMatchObject({
      model: 'claude-3-5-haiku-20241022',
      max_tokens: 64,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] }],
    });
    expect(completion.choices[0]?.message.content).toBe('Let me look that up.');
    expect(completion.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    });
    expect(completion.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 13, total_tokens: 34 });
  });

  test("the route's token costs, the CEL one included, are in Envoy's access log", async () => {
    const completion = await client.chat.completions.create({
      model: 'claude-sonnet',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'What does this cost?' }],
    });
    expect(completion.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 13 });
    // The controller's Envoy configuration logs one JSON line per request on Envoy's stdout (the harness
    // keeps Envoy's output); the service's dynamic metadata is the `ai_gateway` object.
    const entry = await vi.waitFor(
      async () => {
        const entries = (await envoyJsonLines(envoy!)).filter(
          (logged) => logged.model === 'claude-sonnet' && logged.ai_gateway !== null,
        );
        expect(entries.length, envoy!.log(20)).toBeGreaterThan(0);
        return entries.at(-1)!;
      },
      { timeout: 30_000, interval: 500 },
    );
    expect(entry).toMatchObject({
      method: 'POST',
      // The path as forwarded: the service translated the request for the Anthropic backend.
      path: '/v1/messages',
      status: 200,
      backend: 'ai/models/rule/1/ref/0',
      ai_gateway: { llm_total_token: 34, llm_cost: 21 * 3 + 13 * 15 },
    });
  });

  test('a streamed completion for claude-sonnet arrives as OpenAI chunks', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude-sonnet',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'Weather?' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Sunny in Paris.');
  });

  test('a model no route serves is 404 in the OpenAI error shape, and no upstream sees it', async () => {
    const counts = [openaiUpstream.received.length, anthropicUpstream.received.length];
    const error = await client.chat.completions
      .create({ model: 'gpt-unknown', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect([openaiUpstream.received.length, anthropicUpstream.received.length]).toEqual(counts);
  });

  test('a client cannot pick its own model rule, backend or endpoint with the headers the data plane routes by', async () => {
    const before = anthropicUpstream.received.length;
    const openaiBackend = openaiUpstream.received.at(-1)?.headers['x-ai-eg-backend'];
    expect(openaiBackend).toBeDefined();
    await client.chat.completions.create(
      { model: 'claude-sonnet', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] },
      {
        headers: {
          'x-ai-eg-model': 'gpt-4o-mini',
          'x-ai-eg-backend': String(openaiBackend),
          'x-gateway-destination-endpoint': '127.0.0.1:1',
        },
      },
    );
    expect(anthropicUpstream.received.length).toBe(before + 1);
    const seen = anthropicUpstream.received.at(-1)!;
    expect(seen.headers['x-ai-eg-model']).toBe('claude-sonnet');
    expect(seen.headers['x-gateway-destination-endpoint']).toBeUndefined();
  });

  test('a body it cannot read is a 4xx in the OpenAI error shape; a gzip body is read', async () => {
    const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello?' }] });
    const send = (headers: Record<string, string>, body: string | Buffer) =>
      fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, { method: 'POST', headers, body });
    const plain = await send({ 'content-type': 'text/plain' }, chat);
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({
      error: { message: 'content-type text/plain is not JSON; send the request as application/json' },
    });
    const brotli = await send({ 'content-type': 'application/json', 'content-encoding': 'br' }, chat);
    expect(brotli.status).toBe(415);
    const numeric = await send({ 'content-type': 'application/json' }, '{"model": 4, "messages": []}');
    expect(numeric.status).toBe(400);
    expect(await numeric.json()).toMatchObject({
      error: { message: "'model' must be a string naming the model, not a number" },
    });
    const before = openaiUpstream.received.length;
    const zipped = await send(
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      gzipSync(chat),
    );
    expect(zipped.status).toBe(200);
    expect(openaiUpstream.received.length).toBe(before + 1);
    const seen = openaiUpstream.received.at(-1)!;
    expect(seen.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(seen.body)).toMatchObject({ model: 'gpt-4o-mini' });
  });

  test("the request body limit is the Gateway's buffer limit, and a larger body is one 413 in the client's shape, with a length or without", async () => {
    const limit = 3 * 1024 * 1024;
    const chat = (model: string, bytes: number) =>
      JSON.stringify({ model, messages: [{ role: 'user', content: 'x'.repeat(bytes) }] });
    // Over Envoy's default buffer (1 MiB), under the Gateway's limit: it reaches the provider, also on a fallback rule.
    const before = [openaiUpstream.received.length, anthropicUpstream.received.length];
    const big = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }],
    });
    expect(big.choices[0]?.message.content).toBe('Let me look that up.');
    const smart = await client.chat.completions.create({
      model: 'smart',
      messages: [{ role: 'user', content: 'y'.repeat(2 * 1024 * 1024) }],
    });
    expect(smart.choices[0]?.message.content).toBe('Let me look that up.');
    expect([openaiUpstream.received.length, anthropicUpstream.received.length]).toEqual([
      before[0]! + 1,
      before[1]! + 1,
    ]);
    expect(JSON.parse(anthropicUpstream.received.at(-1)!.body).messages[0].content[0].text).toHaveLength(
      2 * 1024 * 1024,
    );
    // Over the limit (and under the service's own 4 MiB): the same answer whether the length is announced or not.
    const expected = {
      error: {
        message: `the request body is larger than ${limit} bytes`,
        type: 'invalid_request_error',
        param: null,
        code: 'request_too_large',
      },
    };
    const tooBig = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(limit) }] })
      .catch((error: unknown) => error);
    expect(tooBig).toBeInstanceOf(OpenAI.APIError);
    expect(tooBig).toMatchObject({ status: 413, error: expected.error });
    const body = Buffer.from(chat('gpt-4o-mini', limit + 512 * 1024));
    const chunked = await fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // A stream has no content-length: the body arrives chunked and only its size tells.
      body: new ReadableStream({
        start(controller) {
          for (let at = 0; at < body.length; at += 256 * 1024)
            controller.enqueue(body.subarray(at, at + 256 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toEqual(expected);
    const messages = await fetch(`http://127.0.0.1:${gatewayPort}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'x'.repeat(limit) }],
      }),
    });
    expect(messages.status).toBe(413);
    expect(await messages.json()).toEqual({
      type: 'error',
      error: { type: 'request_too_large', message: `the request body is larger than ${limit} bytes` },
    });
    expect([openaiUpstream.received.length, anthropicUpstream.received.length]).toEqual([
      before[0]! + 1,
      before[1]! + 1,
    ]);
  });

  test("priority fallback: the primary answers 503, the client gets the secondary's answer, mutated for it; both attempts logged", async () => {
    anthropicUpstream.failNext({
      status: 503,
      body: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    });
    const before = [anthropicUpstream.received.length, openaiUpstream.received.length];
    const completion = await client.chat.completions.create({
      model: 'smart',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect([anthropicUpstream.received.length, openaiUpstream.received.length]).toEqual([
      before[0]! + 1,
      before[1]! + 1,
    ]);
    expect(completion).toMatchObject({ id: 'chatcmpl-fake-1', model: 'gpt-4o' });
    const primary = anthropicUpstream.received.at(-1)!;
    expect(primary.path).toBe('/v1/messages');
    expect(primary.headers['x-api-key']).toBe('sk-ant-upstream');
    const secondary = openaiUpstream.received.at(-1)!;
    expect(secondary.path).toBe('/v1/chat/completions');
    expect(secondary.headers).toMatchObject({
      authorization: 'Bearer sk-openai-upstream',
      'x-tier': 'backup',
    });
    expect(secondary.headers['x-api-key']).toBeUndefined();
    expect(JSON.parse(secondary.body)).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      service_tier: 'flex',
    });
    // The router's upstream log (one JSON line per attempt on Envoy's stdout) shows both backends.
    const attempts = await vi.waitFor(
      async () => {
        const lines = (await envoyJsonLines(envoy!)).filter(
          (line) => 'upstream_attempt' in line && line.model === 'smart',
        );
        expect(lines.length).toBeGreaterThanOrEqual(2);
        return lines.slice(-2);
      },
      { timeout: 30_000, interval: 500 },
    );
    expect(attempts.map((line) => [line.answered_by, line.status])).toEqual([
      ['ai/models/rule/2/ref/0', 503],
      ['ai/models/rule/2/ref/1', 200],
    ]);
  });
});
