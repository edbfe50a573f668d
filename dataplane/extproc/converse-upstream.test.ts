import { describe, expect, test } from 'vitest';
import { encodeEventStreamMessage } from './aws-event-stream.ts';
import { chatTranslator, converseUpstream, OPENAI_CHAT_CLIENT } from './chat-translators.ts';
import type { ChatCompletionChunk, ChatRequest } from './openai-schema.ts';
import { assembleChunks, context, fixture, sseDataOf } from './testdata/fixtures.ts';

const request = fixture<ChatRequest>('openai-chat-request.json');
const bedrock = fixture<{
  upstreamRequest: unknown;
  upstreamResponse: unknown;
  openaiResponse: unknown;
  upstreamStreamEvents: [string, unknown][];
  upstreamError: unknown;
}>('bedrock.json');
const translator = chatTranslator(OPENAI_CHAT_CLIENT, converseUpstream());

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
    expect(translated.usage).toMatchObject({ inputTokens: 30, outputTokens: 8, totalTokens: 38 });
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
        code: '429',
      },
    });
    expect(JSON.parse(translator.error(500, Buffer.from('{}'), {}))).toMatchObject({
      error: { type: 'server_error' },
    });
  });

  test('maps thinking and reasoning_effort to additionalModelRequestFields, cache_control to cache points', () => {
    const cache = { type: 'ephemeral' };
    const body = JSON.parse(
      translator.request(
        {
          model: 'c',
          messages: [
            { role: 'system', content: [{ type: 'text', text: 'Rules.', cache_control: cache }] },
            { role: 'user', content: [{ type: 'text', text: 'Doc', cache_control: cache }] },
          ],
          tools: [{ type: 'function', function: { name: 'f', cache_control: cache } }],
          thinking: { type: 'enabled', budget_tokens: 1024 },
          reasoning_effort: 'high',
        },
        context({ model: 'c' }),
      ).body,
    );
    expect(body).toEqual({
      system: [{ text: 'Rules.' }, { cachePoint: { type: 'default' } }],
      messages: [{ role: 'user', content: [{ text: 'Doc' }, { cachePoint: { type: 'default' } }] }],
      toolConfig: {
        tools: [
          { toolSpec: { name: 'f', inputSchema: { json: { type: 'object', properties: {} } } } },
          { cachePoint: { type: 'default' } },
        ],
      },
      additionalModelRequestFields: {
        thinking: { type: 'enabled', budget_tokens: 1024 },
        reasoning_config: 'high',
      },
    });
  });

  test('keeps the arguments of several streamed tools apart, by content-block index', () => {
    const bytes = eventStream([
      ['messageStart', { role: 'assistant' }],
      ['contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't0', name: 'a' } } }],
      ['contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 't1', name: 'b' } } }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"x":' } } }],
      ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"y":2}' } } }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '1}' } } }],
      ['contentBlockDelta', { contentBlockIndex: 2, delta: { reasoningContent: { text: 'why' } } }],
      ['contentBlockDelta', { contentBlockIndex: 2, delta: { reasoningContent: { signature: 's' } } }],
      ['messageStop', { stopReason: 'tool_use' }],
      [
        'metadata',
        { usage: { inputTokens: 4, outputTokens: 6, cacheReadInputTokens: 2, cacheWriteInputTokens: 1 } },
      ],
    ]);
    const stream = translator.stream(context({ stream: true, includeUsage: true }));
    const items = sseDataOf(stream.push(bytes) + stream.end());
    expect(assembleChunks(items)).toEqual({
      content: '',
      finish: 'tool_calls',
      usage: {
        prompt_tokens: 7,
        completion_tokens: 6,
        total_tokens: 13,
        prompt_tokens_details: { cached_tokens: 2, cache_creation_tokens: 1 },
      },
      calls: [
        { id: 't0', name: 'a', arguments: '{"x":1}' },
        { id: 't1', name: 'b', arguments: '{"y":2}' },
      ],
    });
    expect(
      items.some(
        (item) =>
          typeof item !== 'string' &&
          (item as ChatCompletionChunk).choices[0]?.delta.reasoning_content === 'why',
      ),
    ).toBe(true);
  });
});
