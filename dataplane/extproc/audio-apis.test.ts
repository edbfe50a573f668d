import { describe, expect, test } from 'vitest';
import { type ExtProcConfig, loadExtProcConfig } from './config.ts';
import type { ProcessingRequest, ProcessingResponse } from './processing-messages.ts';
import { StreamProcessor } from './stream-processor.ts';
import { FIXED_TIME } from './testdata/fixtures.ts';

const config: ExtProcConfig = loadExtProcConfig(
  new URL('testdata/extproc-config.yaml', import.meta.url).pathname,
);

const headerMap = (values: Record<string, string>) => ({
  headers: Object.entries(values).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
});
const requestHeaders = (path: string, extra: Record<string, string> = {}): ProcessingRequest => ({
  request_headers: {
    headers: headerMap({ ':path': path, ':method': 'POST', 'x-request-id': 'req-1', ...extra }),
    end_of_stream: false,
  },
});
const requestBody = (value: string | Buffer): ProcessingRequest => ({
  request_body: { body: Buffer.from(value), end_of_stream: true },
});
const responseHeaders = (values: Record<string, string>): ProcessingRequest => ({
  response_headers: { headers: headerMap(values), end_of_stream: false },
});
const responseBody = (value: string, endOfStream = true): ProcessingRequest => ({
  response_body: { body: Buffer.from(value), end_of_stream: endOfStream },
});

function setOf(response: ProcessingResponse): Record<string, string> {
  const mutation = response.request_body?.response.header_mutation;
  return Object.fromEntries(
    (mutation?.set_headers ?? []).map((h) => [h.header.key, Buffer.from(h.header.raw_value).toString()]),
  );
}

function metadata(response: ProcessingResponse) {
  const fields = response.dynamic_metadata?.fields['io.envoy.ai_gateway']?.structValue?.fields ?? {};
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value.numberValue]));
}

describe('speech (/v1/audio/speech)', () => {
  const speech = { model: 'gpt-4o-mini', voice: 'alloy', input: 'Hello' };

  function routedSpeech(request: object = speech) {
    const processor = new StreamProcessor(config, 'stream-1');
    const headersReply = processor.process(requestHeaders('/v1/audio/speech'), FIXED_TIME);
    const bodyReply = processor.process(requestBody(JSON.stringify(request)), FIXED_TIME);
    return { processor, headersReply, bodyReply };
  }

  test('the response body is turned off at request headers, before Envoy can buffer audio; audio stays unread', () => {
    const { processor, headersReply, bodyReply } = routedSpeech();
    // Set with the request headers: a body arriving while the response headers wait for this service is then
    // held under a watermark, not buffered up to the limit (where BUFFERED mode answers 500).
    expect(headersReply).toEqual({
      request_headers: { response: {} },
      mode_override: { request_body_mode: 2, response_body_mode: 0 },
    });
    expect(setOf(bodyReply)).toMatchObject({ ':path': '/v1/audio/speech', 'x-ai-eg-model': 'gpt-4o-mini' });
    const audioHeaders = processor.process(
      responseHeaders({ ':status': '200', 'content-type': 'audio/mpeg' }),
      FIXED_TIME,
    );
    expect(audioHeaders).toEqual({
      response_headers: { response: { header_mutation: { remove_headers: [], set_headers: [] } } },
      mode_override: { response_body_mode: 0 },
    });
    expect(processor.finished).toBe(true);
    expect(processor.outcome).toMatchObject({ api: 'openai.speech', status: 200, usage: undefined });
  });

  test("an upstream error turns the body back on (BUFFERED) and reaches the client in OpenAI's shape", () => {
    const { processor } = routedSpeech();
    const errorHeaders = processor.process(
      responseHeaders({ ':status': '400', 'content-type': 'text/plain' }),
      FIXED_TIME,
    );
    expect(errorHeaders.mode_override).toEqual({ response_body_mode: 2 });
    const reply = processor.process(responseBody('voice not found'), FIXED_TIME);
    const body = Buffer.from(reply.response_body!.response.body_mutation!.body).toString();
    expect(JSON.parse(body)).toMatchObject({ error: { message: 'voice not found', code: '400' } });
  });

  test('server-sent events stream through unchanged, read for the usage of speech.audio.done', () => {
    const { processor } = routedSpeech({ ...speech, stream_format: 'sse' });
    const sseHeaders = processor.process(
      responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
      FIXED_TIME,
    );
    expect(sseHeaders.mode_override).toEqual({ response_body_mode: 1 });
    const delta = 'data: {"type":"speech.audio.delta","audio":"AAEC"}\n\n';
    expect(processor.process(responseBody(delta, false), FIXED_TIME)).toEqual({
      response_body: { response: {} },
    });
    const done =
      'data: {"type":"speech.audio.done","usage":{"input_tokens":5,"output_tokens":40,"total_tokens":45}}\n\n';
    const last = processor.process(responseBody(done), FIXED_TIME);
    expect(last.response_body).toEqual({ response: {} });
    expect(metadata(last)).toEqual({
      llm_input_token: 5,
      llm_output_token: 40,
      llm_total_token: 45,
      llm_cost: 615,
    });
  });

  test('a backend without speech is refused with 422 before any upstream call', () => {
    const processor = new StreamProcessor(config, 'stream-1');
    processor.process(requestHeaders('/v1/audio/speech'), FIXED_TIME);
    const reply = processor.process(
      requestBody(JSON.stringify({ ...speech, model: 'claude-client' })),
      FIXED_TIME,
    );
    expect(reply.immediate_response?.status.code).toBe(422);
  });
});
