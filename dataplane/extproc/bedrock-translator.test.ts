import { describe, expect, test } from 'vitest';
import { encodeEventStreamMessage } from './aws-event-stream.ts';
import { bedrockTranslator } from './bedrock-translator.ts';
import type { ChatRequest } from './openai-schema.ts';
import { assembleChunks, context, fixture, sseDataOf } from './testdata/fixtures.ts';

const request = fixture<ChatRequest>('openai-chat-request.json');
const bedrock = fixture<{
  upstreamRequest: unknown;
  upstreamResponse: unknown;
  openaiResponse: unknown;
  upstreamStreamEvents: [string, unknown][];
  upstreamError: unknown;
}>('bedrock.json');
const translator = bedrockTranslator();

function eventStream(events: [string, unknown][]): Buffer {
  return Buffer.concat(
    events.map(([type, payload]) =>
      encodeEventStreamMessage(
        { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
        Buffer.from(JSON.stringify(payload)),
      ),
    ),
  );
}

describe('OpenAI chat → Bedrock Converse', () => {
  test('puts the model in the path (percent-encoded) and translates the body', () => {
    const upstream = translator.request(
      structuredClone(request),
      context({ model: 'anthropic.claude-3-haiku-20240307-v1:0' }),
    );
    expect(upstream.path).toBe('/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
    expect(JSON.parse(upstream.body)).toEqual(bedrock.upstreamRequest);
    expect(translator.request(structuredClone(request), context({ model: 'm', stream: true })).path).toBe(
      '/model/m/converse-stream',
    );
  });

  test('translates a Converse response with a tool call and usage', () => {
    const translated = translator.response(Buffer.from(JSON.stringify(bedrock.upstreamResponse)), context());
    expect(JSON.parse(translated.body)).toEqual(bedrock.openaiResponse);
    expect(translated.usage).toEqual({
      inputTokens: 30,
      cachedInputTokens: 0,
      outputTokens: 8,
      totalTokens: 38,
    });
  });

  test('decodes a ConverseStream event stream (split into 7-byte pieces) into OpenAI SSE chunks', () => {
    const bytes = eventStream(bedrock.upstreamStreamEvents);
    const stream = translator.stream(context({ stream: true, includeUsage: true }));
    let out = '';
    for (let at = 0; at < bytes.length; at += 7) out += stream.push(bytes.subarray(at, at + 7));
    out += stream.end();
    const items = sseDataOf(out);
    expect(items.at(-1)).toBe('[DONE]');
    expect(assembleChunks(items)).toEqual({
      content: 'Sunny soon.',
      finish: 'tool_calls',
      usage: { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34 },
      calls: [{ id: 'tooluse_7', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
  });

  test('turns an exception frame into an OpenAI error chunk', () => {
    const stream = translator.stream(context({ stream: true }));
    const exception = encodeEventStreamMessage(
      {
        ':exception-type': 'throttlingException',
        ':content-type': 'application/json',
        ':message-type': 'exception',
      },
      Buffer.from('{"message":"slow down"}'),
    );
    expect(sseDataOf(stream.push(exception) + stream.end())).toEqual([
      { error: { message: 'slow down', type: 'throttlingException', param: null, code: null } },
    ]);
  });

  test('maps a Bedrock error with its x-amzn-errortype to the OpenAI error shape', () => {
    const body = Buffer.from(JSON.stringify(bedrock.upstreamError));
    expect(
      JSON.parse(
        translator.error(429, body, {
          'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
        }),
      ),
    ).toEqual({
      error: {
        message: 'Too many requests, please wait before trying again.',
        type: 'ThrottlingException',
        param: null,
        code: null,
      },
    });
    expect(JSON.parse(translator.error(500, Buffer.from('{}'), {}))).toMatchObject({
      error: { type: 'server_error' },
    });
  });
});
