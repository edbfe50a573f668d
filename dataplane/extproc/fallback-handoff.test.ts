import { describe, expect, test } from 'vitest';
import { parseExtProcConfig } from './config.ts';
import {
  BACKEND_ATTRIBUTE,
  EXT_PROC_ATTRIBUTES_KEY,
  type Handoff,
  unwrapAttempt,
  wrapBody,
  wrapForm,
} from './fallback-handoff.ts';
import type { ProcessingRequest, ProcessingResponse } from './processing-messages.ts';
import { StreamProcessor } from './stream-processor.ts';
import { FIXED_TIME, fixture } from './testdata/fixtures.ts';

const config = parseExtProcConfig(`
llmRequestCosts: [{ metadataKey: llm_total_token, type: TotalToken }]
rules:
  - models: [smart]
    backends: [{ name: primary, priority: 0 }, { name: secondary, priority: 1 }]
backends:
  - name: primary
    schema: Anthropic
    host: api.anthropic.com
    modelNameOverride: claude-sonnet
    auth: { anthropicAPIKey: { key: sk-ant-primary } }
    headerMutation: { remove: [x-team] }
  - name: secondary
    schema: OpenAI
    modelNameOverride: gpt-4o
`);

const headerList = (values: Record<string, string>) =>
  Object.entries(values).map(([key, value]) => ({ key, raw_value: Buffer.from(value) }));
const clientHeaders: Record<string, string> = {
  ':path': '/v1/chat/completions',
  ':method': 'POST',
  ':authority': 'gateway.test',
  'x-request-id': 'req-9',
  authorization: 'Bearer client-own-key',
  'x-team': 'blue',
  'accept-encoding': 'gzip',
};
const chat = { model: 'smart', messages: [{ role: 'user', content: 'hi' }] };

function setOf(response: ProcessingResponse): Record<string, string> {
  const mutation =
    response.request_body?.response.header_mutation ?? response.response_headers?.response.header_mutation;
  return Object.fromEntries(
    (mutation?.set_headers ?? []).map((h) => [h.header.key, Buffer.from(h.header.raw_value).toString()]),
  );
}
const removedBy = (response: ProcessingResponse) =>
  response.request_body?.response.header_mutation?.remove_headers ??
  response.response_headers?.response.header_mutation?.remove_headers;
const bodyOf = (response: ProcessingResponse) =>
  Buffer.from(
    (response.request_body?.response.body_mutation ?? response.response_body?.response.body_mutation)!.body,
  ).toString();

/** The router filter's request phases; returns the processor and the body Envoy buffers for the attempts. */
function routerPass() {
  const router = new StreamProcessor(config, 'router');
  router.process({ request_headers: { headers: { headers: headerList(clientHeaders) } } }, FIXED_TIME);
  const reply = router.process(
    { request_body: { body: Buffer.from(JSON.stringify(chat)), end_of_stream: true } },
    FIXED_TIME,
  );
  return { router, reply, buffered: Buffer.from(bodyOf(reply)) };
}

/** One upstream-filter attempt: Envoy's current headers (changed by earlier attempts) and the buffered body. */
function attempt(backend: string, current: Record<string, string>, buffered: Buffer): ProcessingResponse {
  const upstream = new StreamProcessor(config, `attempt-${backend}`);
  const headers: ProcessingRequest = {
    attributes: { [EXT_PROC_ATTRIBUTES_KEY]: { fields: { [BACKEND_ATTRIBUTE]: { stringValue: backend } } } },
    request_headers: { headers: { headers: headerList(current) } },
  };
  expect(upstream.process(headers, FIXED_TIME)).toEqual({ request_headers: { response: {} } });
  return upstream.process({ request_body: { body: buffered, end_of_stream: true } }, FIXED_TIME);
}

/** Envoy applies a mutation to the header map the next attempt starts from. */
function applied(current: Record<string, string>, reply: ProcessingResponse): Record<string, string> {
  const next = { ...current, ...setOf(reply) };
  for (const name of removedBy(reply) ?? []) delete next[name];
  return next;
}

describe('a fallback rule', () => {
  test('the router names the model, leaves the backend to Envoy and wraps the body for the attempts', () => {
    const { reply, buffered } = routerPass();
    expect(reply.request_body!.response.clear_route_cache).toBe(true);
    expect(setOf(reply)).toEqual({ 'x-ai-eg-model': 'smart', 'content-length': String(buffered.length) });
    expect(removedBy(reply)).toEqual(['x-ai-eg-backend']);
    expect(JSON.parse(buffered.toString())).toEqual({
      'x-ai-eg-fallback': {
        path: '/v1/chat/completions',
        model: 'smart',
        headers: {
          ':authority': 'gateway.test',
          authorization: 'Bearer client-own-key',
          'x-api-key': null,
          'api-key': null,
          'anthropic-version': null,
          'content-type': null,
          'accept-encoding': 'gzip',
          'x-amz-date': null,
          'x-amz-content-sha256': null,
          'x-amz-security-token': null,
          'x-team': 'blue',
        },
      },
      body: chat,
    });
  });

  test("each attempt is translated for the backend Envoy picked, and undoes the earlier attempt's headers", () => {
    const { buffered } = routerPass();
    const envoyHeaders = { ...clientHeaders, 'x-ai-eg-model': 'smart' };
    const first = attempt('primary', envoyHeaders, buffered);
    expect(setOf(first)).toMatchObject({
      ':path': '/v1/messages',
      ':authority': 'api.anthropic.com',
      'x-api-key': 'sk-ant-primary',
      'anthropic-version': '2023-06-01',
    });
    expect(removedBy(first)).toEqual(expect.arrayContaining(['authorization', 'x-team']));
    expect(JSON.parse(bodyOf(first))).toMatchObject({ model: 'claude-sonnet', messages: [{ role: 'user' }] });

    // Envoy retries with the headers the first attempt left, and the buffered body again.
    const second = attempt('secondary', applied(envoyHeaders, first), buffered);
    const after = applied(applied(envoyHeaders, first), second);
    expect(after).toEqual({
      ':path': '/v1/chat/completions',
      ':method': 'POST',
      ':authority': 'gateway.test',
      'x-request-id': 'req-9',
      authorization: 'Bearer client-own-key',
      'x-team': 'blue',
      'accept-encoding': 'gzip',
      'x-ai-eg-model': 'smart',
      'content-length': String(Buffer.byteLength(bodyOf(second))),
    });
    expect(JSON.parse(bodyOf(second))).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  test('the router translates the response of the backend that answered, named by the route, and reports costs', () => {
    const { router } = routerPass();
    const headersReply = router.process(
      {
        response_headers: {
          headers: {
            headers: headerList({
              ':status': '200',
              'content-type': 'application/json',
              'x-ai-eg-backend': 'primary',
            }),
          },
        },
      },
      FIXED_TIME,
    );
    expect(removedBy(headersReply)).toEqual(['x-ai-eg-backend', 'content-length']);
    const anthropic = fixture<{ upstreamResponse: unknown }>('anthropic.json');
    const reply = router.process(
      {
        response_body: { body: Buffer.from(JSON.stringify(anthropic.upstreamResponse)), end_of_stream: true },
      },
      FIXED_TIME,
    );
    expect(JSON.parse(bodyOf(reply))).toMatchObject({
      object: 'chat.completion',
      model: 'smart',
      id: 'msg_01',
    });
    expect(reply.dynamic_metadata?.fields['io.envoy.ai_gateway']?.structValue?.fields).toEqual({
      llm_total_token: { numberValue: 62 },
    });
    expect(router.outcome).toMatchObject({ backend: 'primary', model: 'smart', status: 200 });
  });

  test("Envoy's own reply (no backend left) reaches the client in its API's error shape", () => {
    const { router } = routerPass();
    router.process(
      {
        response_headers: {
          headers: { headers: headerList({ ':status': '503', 'content-type': 'text/plain' }) },
        },
      },
      FIXED_TIME,
    );
    const reply = router.process(
      { response_body: { body: Buffer.from('no healthy upstream'), end_of_stream: true } },
      FIXED_TIME,
    );
    expect(JSON.parse(bodyOf(reply))).toEqual({
      error: { message: 'no healthy upstream', type: 'server_error', param: null, code: null },
    });
  });

  test('an upstream filter without the router’s wrapper refuses clearly instead of guessing', () => {
    const reply = attempt('primary', clientHeaders, Buffer.from(JSON.stringify(chat)));
    expect(reply.immediate_response?.status.code).toBe(500);
    expect(reply.immediate_response?.details).toContain('check the Envoy configuration');
  });
});

describe('the wrapper', () => {
  const handoff: Handoff = {
    path: '/v1/audio/transcriptions',
    model: 'whisper',
    headers: { 'x-api-key': null },
  };

  test('a form goes on as sent after one line of hand-off; a JSON body, even spread over lines, in JSON', () => {
    const form = Buffer.from(
      '--b\r\ncontent-disposition: form-data; name="model"\r\n\r\nwhisper\r\n--b--\r\n\x00\xff',
    );
    expect(unwrapAttempt(wrapForm(form, handoff))).toEqual({ handoff: { ...handoff, form: true }, form });
    // A client's pretty-printed body whose first line could close an object: still the JSON wrapper.
    const json = Buffer.from('{"model":"whisper","form":true}\n');
    expect(unwrapAttempt(wrapBody(json, { ...handoff, path: '/v1/chat/completions' }))).toEqual({
      handoff: { ...handoff, path: '/v1/chat/completions' },
      body: { model: 'whisper', form: true },
    });
    expect(unwrapAttempt(Buffer.from('{"model":"whisper"}\n--b'))).toBeUndefined();
    expect(unwrapAttempt(Buffer.from('not json'))).toBeUndefined();
  });
});
