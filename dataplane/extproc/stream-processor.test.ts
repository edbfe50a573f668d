import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { encodeEventStreamMessage } from './aws-event-stream.ts';
import { type ExtProcConfig, loadExtProcConfig, parseExtProcConfig } from './config.ts';
import type { ProcessingRequest, ProcessingResponse } from './processing-messages.ts';
import { StreamProcessor } from './stream-processor.ts';
import { FIXED_TIME, fixture } from './testdata/fixtures.ts';

const config: ExtProcConfig = loadExtProcConfig(
  new URL('testdata/extproc-config.yaml', import.meta.url).pathname,
);

const headers = (values: Record<string, string>, endOfStream = false): ProcessingRequest => ({
  request_headers: {
    headers: {
      headers: Object.entries(values).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
    },
    end_of_stream: endOfStream,
  },
});
const responseHeaders = (values: Record<string, string>): ProcessingRequest => ({
  response_headers: headers(values).request_headers!,
});
const body = (value: string | Buffer, endOfStream = true): ProcessingRequest => ({
  request_body: { body: Buffer.from(value), end_of_stream: endOfStream },
});
const responseBody = (value: string | Buffer, endOfStream = true): ProcessingRequest => ({
  response_body: { body: Buffer.from(value), end_of_stream: endOfStream },
});

const post = (path = '/v1/chat/completions', extra: Record<string, string> = {}) =>
  headers({
    ':path': path,
    ':method': 'POST',
    ':authority': 'gateway.test',
    'x-request-id': 'req-1',
    authorization: 'Bearer client-key',
    ...extra,
  });

function setOf(response: ProcessingResponse | undefined): Record<string, string> {
  const mutation =
    response?.request_body?.response.header_mutation ??
    response?.response_headers?.response.header_mutation ??
    response?.request_headers?.response.header_mutation;
  return Object.fromEntries(
    (mutation?.set_headers ?? []).map((h) => [h.header.key, Buffer.from(h.header.raw_value).toString()]),
  );
}

function immediate(response: ProcessingResponse) {
  const reply = response.immediate_response!;
  return { status: reply.status.code, body: JSON.parse(Buffer.from(reply.body!).toString()) };
}

function bodyOf(response: ProcessingResponse): string | undefined {
  const mutation =
    response.request_body?.response.body_mutation ?? response.response_body?.response.body_mutation;
  return mutation === undefined ? undefined : Buffer.from(mutation.body).toString();
}

function metadata(response: ProcessingResponse) {
  const fields = response.dynamic_metadata?.fields['io.envoy.ai_gateway']?.structValue?.fields ?? {};
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value.numberValue]));
}

/** Runs request headers and body through a fresh processor. */
function routed(json: unknown, path?: string) {
  const processor = new StreamProcessor(config, 'stream-1');
  expect(processor.process(post(path), FIXED_TIME)).toEqual({ request_headers: { response: {} } });
  return { processor, response: processor.process(body(JSON.stringify(json)), FIXED_TIME) };
}

describe('request headers', () => {
  test('answers GET /v1/models from the config', () => {
    const processor = new StreamProcessor(config, 's');
    expect(
      immediate(processor.process(headers({ ':path': '/v1/models', ':method': 'GET' }, true), FIXED_TIME)),
    ).toEqual({
      status: 200,
      body: {
        object: 'list',
        data: [
          { id: 'claude-client', object: 'model', created: 1700000000, owned_by: 'anthropic' },
          { id: 'gpt-4o-mini', object: 'model', created: 1700000001, owned_by: 'openai' },
        ],
      },
    });
    expect(processor.finished).toBe(true);
  });

  test('refuses unknown paths, other methods, bodiless requests and a declared length over the limit', () => {
    const reply = (request: ProcessingRequest) =>
      immediate(new StreamProcessor(config, 's').process(request, FIXED_TIME));
    const unknown = new StreamProcessor(config, 's').process(post('/v2/other?x=1'), FIXED_TIME)
      .immediate_response!;
    expect(unknown.status.code).toBe(404);
    expect(Buffer.from(unknown.body!).toString()).toBe('unsupported path: /v2/other\n');
    expect(reply(headers({ ':path': '/v1/chat/completions', ':method': 'GET' }))).toMatchObject({
      status: 405,
    });
    expect(reply(headers({ ':path': '/v1/chat/completions', ':method': 'POST' }, true))).toMatchObject({
      status: 400,
    });
    expect(reply(post('/v1/chat/completions', { 'content-length': '4096' }))).toEqual({
      status: 413,
      body: {
        error: {
          message: 'the request body is larger than 2048 bytes',
          type: 'invalid_request_error',
          param: null,
          code: 'request_too_large',
        },
      },
    });
    expect(reply(post('/v1/messages', { 'content-length': '4096' }))).toEqual({
      status: 413,
      body: {
        type: 'error',
        error: { type: 'request_too_large', message: 'the request body is larger than 2048 bytes' },
      },
    });
  });
});

describe('request body', () => {
  test('malformed JSON is a 400 in the OpenAI error shape; a missing model too; an unknown model a 404', () => {
    const processor = new StreamProcessor(config, 's');
    processor.process(post(), FIXED_TIME);
    expect(immediate(processor.process(body('{"model": "x",'), FIXED_TIME))).toEqual({
      status: 400,
      body: {
        error: {
          message: 'the request body is not a valid JSON object',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    });
    expect(immediate(routed({ messages: [] }).response)).toMatchObject({
      status: 400,
      body: { error: { code: 'missing_model' } },
    });
    expect(immediate(routed({ model: 'nope', messages: [] }).response)).toMatchObject({
      status: 404,
      body: {
        error: {
          message: "the model 'nope' does not exist",
          type: 'not_found_error',
          code: 'model_not_found',
        },
      },
    });
  });

  test('a body over the limit is a 413 even without a content-length', () => {
    const processor = new StreamProcessor(config, 's');
    processor.process(post(), FIXED_TIME);
    expect(processor.process(body('x'.repeat(1500), false), FIXED_TIME)).toEqual({
      request_body: { response: {} },
    });
    expect(immediate(processor.process(body('y'.repeat(1500)), FIXED_TIME)).status).toBe(413);
  });

  test("the listener's limit, when Envoy names it, is the limit; a body Envoy cut at its buffer limit is a 413", () => {
    const attributes = {
      'envoy.filters.http.ext_proc': {
        fields: {
          "xds.listener_metadata.filter_metadata['switchyard.dev/ai-gateway']['max_request_body_bytes']": {
            stringValue: '1000',
          },
        },
      },
    };
    const announced = new StreamProcessor(config, 's');
    const reply = announced.process(
      { ...post('/v1/chat/completions', { 'content-length': '1500' }), attributes },
      FIXED_TIME,
    );
    expect(immediate(reply).body.error.message).toBe('the request body is larger than 1000 bytes');
    // BUFFERED_PARTIAL: Envoy sends what it buffered, end_of_stream false, once its buffer (the limit) is full.
    const cut = new StreamProcessor(config, 's');
    cut.process({ ...post(), attributes }, FIXED_TIME);
    expect(immediate(cut.process(body('x'.repeat(1000), false), FIXED_TIME))).toMatchObject({
      status: 413,
      body: { error: { message: 'the request body is larger than 1000 bytes', code: 'request_too_large' } },
    });
    // A limit Envoy printed as a number (six significant digits) is not trusted: the configuration's applies.
    const printed = new StreamProcessor(config, 's');
    const fields = attributes['envoy.filters.http.ext_proc'].fields;
    const key = Object.keys(fields)[0]!;
    printed.process(
      {
        ...post(),
        attributes: { 'envoy.filters.http.ext_proc': { fields: { [key]: { stringValue: '1e+03' } } } },
      },
      FIXED_TIME,
    );
    expect(printed.process(body('x'.repeat(1500), false), FIXED_TIME)).toEqual({
      request_body: { response: {} },
    });
  });

  test('routes by model: sets x-ai-eg-model, clears the route cache, translates for Anthropic and authenticates', () => {
    const request = { ...fixture('openai-chat-request.json'), model: 'claude-client' };
    const { response } = routed(request);
    const common = response.request_body!.response;
    expect(common.clear_route_cache).toBe(true);
    const set = setOf(response);
    const translated = bodyOf(response)!;
    expect(set).toEqual({
      'x-ai-eg-model': 'claude-client',
      'x-ai-eg-backend': 'anthropic',
      ':path': '/v1/messages',
      'content-length': String(Buffer.byteLength(translated)),
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
      'x-api-key': 'sk-ant-test',
    });
    expect(common.header_mutation?.remove_headers).toEqual(['authorization', 'api-key']);
    expect(JSON.parse(translated)).toMatchObject({
      model: 'claude-3-5-haiku-20241022',
      max_tokens: 256,
      system: [{ type: 'text', text: 'You are a weather bot.' }],
    });
  });

  test('signs Bedrock requests with SigV4 for the configured host and sets the authority', () => {
    const { response } = routed({ model: 'bedrock-client', messages: [{ role: 'user', content: 'hi' }] });
    const set = setOf(response);
    expect(set[':path']).toBe('/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
    expect(set[':authority']).toBe('bedrock-runtime.us-east-1.amazonaws.com');
    expect(set['x-amz-date']).toBe('20260101T000000Z');
    expect(set.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/20260101\/us-east-1\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=/,
    );
  });

  test('uses the GCP token and the Azure api-key; a key file is read at load', () => {
    expect(setOf(routed({ model: 'gemini-client', messages: [] }).response).authorization).toBe(
      'Bearer ya29.test',
    );
    const azure = setOf(routed({ model: 'azure-client', messages: [] }).response);
    expect(azure).toMatchObject({
      'api-key': 'azure-test',
      ':path': '/openai/deployments/azure-client/chat/completions?api-version=2024-10-21',
    });
    expect(setOf(routed({ model: 'gpt-4o-mini', messages: [] }).response).authorization).toBe(
      'Bearer sk-openai-test',
    );
  });

  test('forces stream_options.include_usage on streams when costs are configured, and drops accept-encoding', () => {
    const { response } = routed({ model: 'gpt-4o-mini', stream: true, messages: [] });
    expect(JSON.parse(bodyOf(response)!)).toEqual({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [],
      stream_options: { include_usage: true },
    });
    expect(response.request_body!.response.header_mutation?.remove_headers).toContain('accept-encoding');
    const azure = routed({ model: 'azure-client', stream: true, messages: [] }).response; // no costs on this rule
    expect(JSON.parse(bodyOf(azure)!).stream_options).toBeUndefined();
  });

  test('a client API the backend cannot serve is a 422 in the client schema', () => {
    expect(immediate(routed({ model: 'claude-client', input: 'hi' }, '/v1/responses').response)).toEqual({
      status: 422,
      body: {
        error: {
          type: 'invalid_request_error',
          message: "backend 'anthropic' (Anthropic) does not serve this API",
          param: null,
          code: 'unsupported_api',
        },
      },
    });
  });

  test('Anthropic clients reach an OpenAI backend under /anthropic/v1/messages too, translated', () => {
    const { response } = routed(
      { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
      '/anthropic/v1/messages',
    );
    expect(setOf(response)).toMatchObject({
      ':path': '/v1/chat/completions',
      authorization: 'Bearer sk-openai-test',
    });
    expect(JSON.parse(bodyOf(response)!)).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 5,
    });
  });
});

describe('response', () => {
  const anthropic = fixture<{ upstreamResponse: unknown; upstreamError: unknown; upstreamStream: string[] }>(
    'anthropic.json',
  );

  test('translates a buffered Anthropic response and emits token costs, including the CEL cost', () => {
    const { processor } = routed({ model: 'claude-client', messages: [{ role: 'user', content: 'hi' }] });
    const headersReply = processor.process(
      responseHeaders({ ':status': '200', 'content-type': 'application/json', 'content-length': '999' }),
      FIXED_TIME,
    );
    expect(headersReply.response_headers!.response.header_mutation?.remove_headers).toEqual([
      'content-length',
    ]);
    expect(headersReply.mode_override).toBeUndefined();
    const reply = processor.process(responseBody(JSON.stringify(anthropic.upstreamResponse)), FIXED_TIME);
    expect(JSON.parse(bodyOf(reply)!)).toMatchObject({
      object: 'chat.completion',
      model: 'claude-client',
      created: 1767225600,
    });
    expect(metadata(reply)).toEqual({
      llm_input_token: 50,
      llm_output_token: 12,
      llm_total_token: 62,
      llm_cost: 50 * 3 + 12 * 15,
    });
    expect(processor.outcome).toMatchObject({ model: 'claude-client', backend: 'anthropic', status: 200 });
  });

  test('a CEL cost failing at run time drops the metadata, not the response', () => {
    const failing = parseExtProcConfig(`
rules: [{ models: [m], backends: [a], llmRequestCosts: [{ metadataKey: c, type: CEL, cel: "0 - 1" }] }]
backends: [{ name: a, schema: Anthropic }]
`);
    const processor = new StreamProcessor(failing, 's');
    processor.process(post(), FIXED_TIME);
    processor.process(body(JSON.stringify({ model: 'm', messages: [] })), FIXED_TIME);
    processor.process(responseHeaders({ ':status': '200' }), FIXED_TIME);
    const reply = processor.process(responseBody(JSON.stringify(anthropic.upstreamResponse)), FIXED_TIME);
    expect(JSON.parse(bodyOf(reply)!).object).toBe('chat.completion');
    expect(reply.dynamic_metadata).toBeUndefined();
    expect(processor.outcome.costError).toContain("llmRequestCosts 'c'");
  });

  test('inflates a gzip response before translating it and drops content-encoding', () => {
    const { processor } = routed({ model: 'claude-client', messages: [] });
    const headersReply = processor.process(
      responseHeaders({ ':status': '200', 'content-encoding': 'gzip' }),
      FIXED_TIME,
    );
    expect(headersReply.response_headers!.response.header_mutation?.remove_headers).toEqual([
      'content-length',
      'content-encoding',
    ]);
    const reply = processor.process(
      responseBody(gzipSync(JSON.stringify(anthropic.upstreamResponse))),
      FIXED_TIME,
    );
    expect(JSON.parse(bodyOf(reply)!).choices[0].finish_reason).toBe('tool_calls');
  });

  test('maps an upstream 429 to the OpenAI error shape and keeps the status', () => {
    const { processor } = routed({ model: 'claude-client', stream: true, messages: [] });
    const headersReply = processor.process(
      responseHeaders({ ':status': '429', 'content-type': 'application/json' }),
      FIXED_TIME,
    );
    expect(headersReply.mode_override).toBeUndefined(); // errors stay buffered even for streams
    const reply = processor.process(responseBody(JSON.stringify(anthropic.upstreamError)), FIXED_TIME);
    expect(JSON.parse(bodyOf(reply)!)).toEqual({
      error: {
        message: 'Number of requests has exceeded your rate limit',
        type: 'rate_limit_error',
        param: null,
        code: '429',
      },
    });
    expect(reply.dynamic_metadata).toBeUndefined();
  });

  test('switches streams to STREAMED, translates each chunk and sends costs with the last one', () => {
    const { processor } = routed({ model: 'claude-client', stream: true, messages: [] });
    const headersReply = processor.process(
      responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
      FIXED_TIME,
    );
    expect(headersReply.mode_override).toEqual({ response_body_mode: 1 });
    expect(setOf(headersReply)).toEqual({ 'content-type': 'text/event-stream' });
    const chunks = anthropic.upstreamStream;
    const replies = chunks.map((chunk, i) =>
      processor.process(responseBody(chunk, i === chunks.length - 1), FIXED_TIME),
    );
    expect(replies.slice(0, -1).every((reply) => reply.dynamic_metadata === undefined)).toBe(true);
    // The rule has costs, so the translated stream ends with a usage chunk although the client did not ask.
    expect(bodyOf(replies.at(-1)!)).toMatch(
      /data: \{"id":"msg_02",[^\n]*"choices":\[\],"usage":\{"prompt_tokens":25,"completion_tokens":9,"total_tokens":34\}\}\n\ndata: \[DONE\]\n\n$/,
    );
    expect(metadata(replies.at(-1)!)).toEqual({
      llm_input_token: 25,
      llm_output_token: 9,
      llm_total_token: 34,
      llm_cost: 25 * 3 + 9 * 15,
    });
  });

  test('an empty last chunk (as protobufjs decodes it: a plain empty array) ends the stream', () => {
    const { processor } = routed({ model: 'claude-client', stream: true, messages: [] });
    processor.process(responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }), FIXED_TIME);
    // Everything but message_stop: the upstream closes the stream without it.
    for (const chunk of anthropic.upstreamStream.slice(0, -1))
      processor.process(responseBody(chunk, false), FIXED_TIME);
    const empty = { response_body: { body: [] as unknown as Uint8Array, end_of_stream: true } };
    const last = processor.process(empty, FIXED_TIME);
    expect(bodyOf(last)).toMatch(/"usage":\{"prompt_tokens":25.*\n\ndata: \[DONE\]\n\n$/s);
    expect(metadata(last)).toMatchObject({ llm_total_token: 34 });
  });

  test('passes OpenAI streams through untouched, reading usage for the costs', () => {
    const { processor } = routed({ model: 'gpt-4o-mini', stream: true, messages: [] });
    processor.process(responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }), FIXED_TIME);
    expect(
      processor.process(responseBody('data: {"choices":[{"delta":{"content":"a"}}]}\n\n', false), FIXED_TIME),
    ).toEqual({ response_body: { response: {} } });
    const last = processor.process(
      responseBody(
        'data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}\n\ndata: [DONE]\n\n',
      ),
      FIXED_TIME,
    );
    expect(bodyOf(last)).toBeUndefined();
    expect(metadata(last)).toMatchObject({ llm_total_token: 6, llm_cost: 4 * 3 + 2 * 15 });
  });

  test('inflates a gzip stream that is passed through, chunk by chunk, and drops content-encoding', () => {
    const { processor } = routed({ model: 'gpt-4o-mini', stream: true, messages: [] });
    const headersReply = processor.process(
      responseHeaders({ ':status': '200', 'content-type': 'text/event-stream', 'content-encoding': 'gzip' }),
      FIXED_TIME,
    );
    expect(headersReply.response_headers!.response.header_mutation?.remove_headers).toEqual([
      'content-length',
      'content-encoding',
    ]);
    const text =
      'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\ndata: [DONE]\n\n';
    const gzipped = gzipSync(text);
    const half = Math.floor(gzipped.length / 2);
    const first = bodyOf(processor.process(responseBody(gzipped.subarray(0, half), false), FIXED_TIME)) ?? '';
    const last = processor.process(responseBody(gzipped.subarray(half)), FIXED_TIME);
    expect(first + bodyOf(last)).toBe(text);
    expect(metadata(last)).toMatchObject({ llm_total_token: 2 });
  });

  test('re-emits a Bedrock event stream as SSE', () => {
    const { processor } = routed({ model: 'bedrock-client', stream: true, messages: [] });
    processor.process(
      responseHeaders({ ':status': '200', 'content-type': 'application/vnd.amazon.eventstream' }),
      FIXED_TIME,
    );
    const frame = (type: string, payload: unknown) =>
      encodeEventStreamMessage(
        { ':event-type': type, ':message-type': 'event' },
        Buffer.from(JSON.stringify(payload)),
      );
    const first = processor.process(
      responseBody(
        Buffer.concat([
          frame('messageStart', { role: 'assistant' }),
          frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'hi' } }),
        ]),
        false,
      ),
      FIXED_TIME,
    );
    expect(bodyOf(first)).toContain('"content":"hi"');
    const last = processor.process(
      responseBody(
        Buffer.concat([
          frame('messageStop', { stopReason: 'end_turn' }),
          frame('metadata', { usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 } }),
        ]),
      ),
      FIXED_TIME,
    );
    expect(bodyOf(last)).toMatch(/"finish_reason":"stop".*data: \[DONE\]/s);
    expect(metadata(last)).toMatchObject({ llm_total_token: 4 });
  });
});

describe('model lists', () => {
  const byHost = parseExtProcConfig(`
models:
  - { name: a, ownedBy: x, created: 1715367049, hostnames: [api.example.com] }
  - { name: b, ownedBy: y, created: 1715367050, hostnames: ['*.tenant.example.com'] }
  - { name: c, ownedBy: z, created: 1715367051 }
`);
  const list = (path: string, authority: string) =>
    immediate(
      new StreamProcessor(byHost, 's').process(
        headers({ ':path': path, ':method': 'GET', ':authority': authority }, true),
        FIXED_TIME,
      ),
    ).body;

  test("GET /v1/models lists the models of the host's routes, those of routes for every host, or all", () => {
    const ids = (authority: string) =>
      (list('/v1/models', authority).data as { id: string }[]).map((m) => m.id);
    expect(ids('api.example.com:8080')).toEqual(['a', 'c']);
    expect(ids('eu.tenant.example.com')).toEqual(['b', 'c']);
    expect(ids('deep.eu.tenant.example.com')).toEqual(['a', 'b', 'c']);
  });

  test('GET /anthropic/v1/models answers in the Anthropic list shape', () => {
    expect(list('/anthropic/v1/models', 'api.example.com')).toEqual({
      data: [
        { id: 'a', type: 'model', display_name: 'a', created_at: '2024-05-10T18:50:49Z' },
        { id: 'c', type: 'model', display_name: 'c', created_at: '2024-05-10T18:50:51Z' },
      ],
      has_more: false,
      first_id: 'a',
      last_id: 'c',
    });
  });
});

describe('credentials and mutations', () => {
  const secured = parseExtProcConfig(`
rules:
  - { models: [lost], backends: [lost] }
  - { models: [per-request], backends: [per-request] }
  - { models: [fallback-key], backends: [fallback-key] }
  - { models: [mutated], backends: [mutated] }
backends:
  - { name: lost, schema: Anthropic, auth: { unavailable: "Secret ai/anthropic-key has no key apiKey" } }
  - name: per-request
    schema: AWSBedrock
    host: bedrock-runtime.eu-west-1.amazonaws.com
    auth: { aws: { region: eu-west-1 }, override: { header: x-aigw-aws- } }
  - name: fallback-key
    schema: OpenAI
    auth: { apiKey: { key: sk-configured }, override: { fallbackToConfigured: true } }
  - name: mutated
    schema: OpenAI
    headerMutation: { set: [{ name: x-tenant, value: blue }], remove: [x-debug] }
    bodyMutation: { set: [{ path: service_tier, value: '"flex"' }, { path: metadata.team, value: ai }], remove: [user] }
`);
  const send = (model: string, extra: Record<string, string> = {}, request: ProcessingRequest = post()) => {
    const processor = new StreamProcessor(secured, 's');
    const withHeaders: ProcessingRequest = {
      ...request,
      request_headers: {
        ...request.request_headers!,
        headers: {
          headers: [
            ...(request.request_headers!.headers?.headers ?? []),
            ...Object.entries(extra).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
          ],
        },
      },
    };
    processor.process(withHeaders, FIXED_TIME);
    return processor.process(
      body(JSON.stringify({ model, user: 'u1', messages: [{ role: 'user', content: 'hi' }] })),
      FIXED_TIME,
    );
  };

  test("a backend whose credentials are missing is a 401 in the client's shape, never an unauthenticated call", () => {
    expect(immediate(send('lost'))).toEqual({
      status: 401,
      body: {
        error: {
          message: 'Secret ai/anthropic-key has no key apiKey',
          type: 'authentication_error',
          param: null,
          code: 'missing_upstream_credential',
        },
      },
    });
    expect(immediate(send('per-request')).status).toBe(401);
    expect(
      immediate(send('per-request', { 'x-aigw-aws-access-key-id': 'AKIDONLY' })).body.error.message,
    ).toBe('incomplete per-request AWS credential: access key ID and secret access key must both be present');
  });

  test('per-request AWS credentials with a session token sign the request; the headers carrying them are dropped', () => {
    const response = send('per-request', {
      'x-aigw-aws-access-key-id': 'ASIATEMP',
      'x-aigw-aws-secret-access-key': 'temp-secret',
      'x-aigw-aws-session-token': 'session-token-1',
    });
    const set = setOf(response);
    expect(set.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIATEMP\/20260101\/eu-west-1\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, /,
    );
    expect(set['x-amz-security-token']).toBe('session-token-1');
    expect(response.request_body!.response.header_mutation?.remove_headers).toEqual(
      expect.arrayContaining([
        'x-aigw-aws-access-key-id',
        'x-aigw-aws-secret-access-key',
        'x-aigw-aws-session-token',
      ]),
    );
  });

  test('per-request credentials from dynamic metadata; the configured key when the request carries none', () => {
    const fromMetadata = parseExtProcConfig(`
rules: [{ models: [m], backends: [b] }]
backends: [{ name: b, schema: Anthropic, auth: { anthropicAPIKey: {}, override: { metadata: { namespace: envoy.filters.http.ext_authz, key: anthropic_key } } } }]
`);
    const processor = new StreamProcessor(fromMetadata, 's');
    processor.process(
      {
        ...post(),
        metadata_context: {
          filter_metadata: {
            'envoy.filters.http.ext_authz': { fields: { anthropic_key: { stringValue: 'sk-ant-user-7' } } },
          },
        },
      },
      FIXED_TIME,
    );
    const response = processor.process(body(JSON.stringify({ model: 'm', messages: [] })), FIXED_TIME);
    expect(setOf(response)['x-api-key']).toBe('sk-ant-user-7');
    expect(setOf(send('fallback-key')).authorization).toBe('Bearer sk-configured');
    expect(setOf(send('fallback-key', { 'x-aigw-api-key': 'sk-user' })).authorization).toBe('Bearer sk-user');
  });

  test('header and body mutations apply to the translated request', () => {
    const response = send('mutated', { 'x-debug': '1' });
    expect(setOf(response)['x-tenant']).toBe('blue');
    expect(response.request_body!.response.header_mutation?.remove_headers).toContain('x-debug');
    expect(JSON.parse(bodyOf(response)!)).toEqual({
      model: 'mutated',
      messages: [{ role: 'user', content: 'hi' }],
      service_tier: 'flex',
      metadata: { team: 'ai' },
    });
  });
});

describe('requests it cannot read, and headers a client must not set', () => {
  const chat = JSON.stringify({ model: 'claude-client', messages: [{ role: 'user', content: 'hi' }] });
  /** The status, error message and code a request gets, given its extra headers and its body. */
  function outcome(extra: Record<string, string>, raw: string | Buffer = chat) {
    const processor = new StreamProcessor(config, 's');
    const first = processor.process(post('/v1/chat/completions', extra), FIXED_TIME);
    const reply = first.immediate_response === undefined ? processor.process(body(raw), FIXED_TIME) : first;
    if (reply.immediate_response === undefined) return { status: 200, reply };
    const answer = immediate(reply);
    return { status: answer.status, message: answer.body.error.message, code: answer.body.error.code, reply };
  }
  // Each case: what the client sends, and the status and message it gets.
  const cases: [string, Record<string, string>, string | Buffer, number, string | undefined][] = [
    [
      'text/plain',
      { 'content-type': 'text/plain' },
      chat,
      415,
      'content-type text/plain is not JSON; send the request as application/json',
    ],
    [
      'a form',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'model=x',
      415,
      'content-type application/x-www-form-urlencoded is not JSON; send the request as application/json',
    ],
    ['JSON with a charset', { 'content-type': 'application/json; charset=utf-8' }, chat, 200, undefined],
    [
      'brotli',
      { 'content-encoding': 'br' },
      chat,
      415,
      'content-encoding br cannot be decoded; send the body uncompressed or as gzip',
    ],
    [
      'gzip twice',
      { 'content-encoding': 'gzip, gzip' },
      chat,
      415,
      'content-encoding gzip, gzip cannot be decoded; send the body uncompressed or as gzip',
    ],
    ['gzip', { 'content-encoding': 'gzip' }, gzipSync(chat), 200, undefined],
    [
      'gzip that is not',
      { 'content-encoding': 'gzip' },
      chat,
      400,
      'the request body is not valid gzip (content-encoding: gzip)',
    ],
    [
      'a gzip bomb',
      { 'content-encoding': 'gzip' },
      gzipSync(Buffer.alloc(64 * 1024 * 1024)),
      413,
      'the request body is larger than 2048 bytes',
    ],
    [
      'a numeric model',
      {},
      '{"model": 42, "messages": []}',
      400,
      "'model' must be a string naming the model, not a number",
    ],
    [
      'a model list',
      {},
      '{"model": ["a"], "messages": []}',
      400,
      "'model' must be a string naming the model, not an array",
    ],
    ['a null model', {}, '{"model": null, "messages": []}', 400, "the request body has no 'model'"],
  ];
  test.each(cases)('%s', (_name, extra, raw, status, message) => {
    const result = outcome(extra, raw);
    expect(result.status).toBe(status);
    expect(result.message).toBe(message);
  });

  test('a gzip body is read inflated and goes upstream without its content-encoding', () => {
    const { reply } = outcome({ 'content-encoding': 'gzip' }, gzipSync(chat));
    const mutation = reply.request_body!.response.header_mutation!;
    expect(mutation.remove_headers).toContain('content-encoding');
    expect(JSON.parse(bodyOf(reply)!).model).toBe('claude-3-5-haiku-20241022');
  });

  test('a client’s own model and backend headers are removed before routing', () => {
    const processor = new StreamProcessor(config, 's');
    const reply = processor.process(
      post('/v1/chat/completions', { 'x-ai-eg-model': 'gpt-4o-mini', 'x-ai-eg-backend': 'openai' }),
      FIXED_TIME,
    );
    expect(reply.request_headers!.response.header_mutation!.remove_headers).toEqual([
      'x-ai-eg-model',
      'x-ai-eg-backend',
    ]);
    const routedReply = processor.process(body(chat), FIXED_TIME);
    expect(setOf(routedReply)).toMatchObject({
      'x-ai-eg-model': 'claude-client',
      'x-ai-eg-backend': 'anthropic',
    });
  });
});
