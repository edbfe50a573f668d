import { describe, expect, test } from 'vitest';
import { type ExtProcConfig, loadExtProcConfig, parseExtProcConfig } from './config.ts';
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

describe('transcriptions and translations (multipart uploads)', () => {
  async function upload(fields: Record<string, string>, file = true) {
    const form = new FormData();
    if (file) form.append('file', new Blob([Buffer.from('RIFF....WAVE')], { type: 'audio/wav' }), 'hi.wav');
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const request = new Request('http://upload.test/', { method: 'POST', body: form });
    return {
      body: Buffer.from(await request.arrayBuffer()),
      contentType: request.headers.get('content-type')!,
    };
  }

  function routedUpload(path: string, body: Buffer, contentType: string, processorConfig = config) {
    const processor = new StreamProcessor(processorConfig, 'stream-1');
    const headersReply = processor.process(requestHeaders(path, { 'content-type': contentType }), FIXED_TIME);
    return { processor, headersReply, bodyReply: processor.process(requestBody(body), FIXED_TIME) };
  }

  test("the form's model routes the request; the upstream form is the client's with the backend's model", async () => {
    const overriding = parseExtProcConfig(`
rules: [{ models: [transcriber], backends: [whisper] }]
backends: [{ name: whisper, schema: OpenAI, modelNameOverride: whisper-1, auth: { apiKey: { key: sk-w } } }]
`);
    const { body, contentType } = await upload({ model: 'transcriber', language: 'en' });
    const { headersReply, bodyReply } = routedUpload(
      '/v1/audio/transcriptions',
      body,
      contentType,
      overriding,
    );
    expect(headersReply).toEqual({ request_headers: { response: {} } });
    const set = setOf(bodyReply);
    expect(set).toMatchObject({
      ':path': '/v1/audio/transcriptions',
      'x-ai-eg-model': 'transcriber',
      authorization: 'Bearer sk-w',
    });
    const sent = Buffer.from(bodyReply.request_body!.response.body_mutation!.body);
    expect(sent.toString('latin1')).toBe(body.toString('latin1').replace('transcriber', 'whisper-1'));
    expect(set['content-length']).toBe(String(sent.length));
  });

  test('token usage of a transcription becomes costs; usage in seconds (whisper-1) counts nothing', async () => {
    const { body, contentType } = await upload({ model: 'gpt-4o-mini' });
    const answer = (usage: unknown) => {
      const { processor } = routedUpload('/v1/audio/transcriptions', body, contentType);
      processor.process(
        responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
        FIXED_TIME,
      );
      return processor.process(responseBody(JSON.stringify({ text: 'Hi.', usage })), FIXED_TIME);
    };
    const tokens = { type: 'tokens', input_tokens: 14, output_tokens: 4, total_tokens: 18 };
    expect(metadata(answer(tokens))).toEqual({
      llm_input_token: 14,
      llm_output_token: 4,
      llm_total_token: 18,
      llm_cost: 102,
    });
    expect(answer({ type: 'duration', seconds: 3 }).dynamic_metadata).toBeUndefined();
  });

  test('a transcription stream is told by the response content-type and read for transcript.text.done', async () => {
    const { body, contentType } = await upload({ model: 'gpt-4o-mini', stream: 'true' });
    const { processor } = routedUpload('/v1/audio/transcriptions', body, contentType);
    const reply = processor.process(
      responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
      FIXED_TIME,
    );
    expect(reply.mode_override).toEqual({ response_body_mode: 1 });
    const done = { type: 'transcript.text.done', text: 'Hi.', usage: { input_tokens: 2, output_tokens: 1 } };
    const last = processor.process(responseBody(`data: ${JSON.stringify(done)}\n\n`), FIXED_TIME);
    expect(metadata(last)).toMatchObject({ llm_input_token: 2, llm_output_token: 1, llm_total_token: 3 });
  });

  test('refused with the reason: JSON (415), no model or file (400), a body mutation (422)', async () => {
    const json = new StreamProcessor(config, 's').process(
      requestHeaders('/v1/audio/translations', { 'content-type': 'application/json' }),
      FIXED_TIME,
    );
    expect(json.immediate_response?.status.code).toBe(415);
    expect(json.immediate_response?.details).toBe(
      'content-type application/json is not multipart/form-data with a boundary; send the audio file as a form',
    );
    const noModel = await upload({ language: 'en' });
    expect(
      routedUpload('/v1/audio/translations', noModel.body, noModel.contentType).bodyReply.immediate_response,
    ).toMatchObject({ status: { code: 400 }, details: "the form has no 'model' field" });
    const noFile = await upload({ model: 'gpt-4o-mini' }, false);
    expect(
      routedUpload('/v1/audio/translations', noFile.body, noFile.contentType).bodyReply.immediate_response,
    ).toMatchObject({ status: { code: 400 }, details: "the form has no 'file' part" });
    const special = parseExtProcConfig(`
rules:
  - { models: [mutated], backends: [b] }
backends:
  - { name: b, schema: OpenAI, bodyMutation: { remove: [user] } }
`);
    for (const [model, details] of [
      [
        'mutated',
        "backend 'b' has a bodyMutation, which applies to JSON bodies; this API sends a multipart form",
      ],
    ] as const) {
      const form = await upload({ model });
      const reply = routedUpload('/v1/audio/transcriptions', form.body, form.contentType, special).bodyReply;
      expect(reply.immediate_response).toMatchObject({ status: { code: 422 }, details });
    }
  });
});
