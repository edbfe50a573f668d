import { describe, expect, test } from 'vitest';
import { anthropicMessagesRequest, anthropicTranslator } from './anthropic-translator.ts';
import type { ChatRequest } from './openai-schema.ts';
import { assembleChunks, context, fixture, sseDataOf } from './testdata/fixtures.ts';

const request = fixture<ChatRequest>('openai-chat-request.json');
const anthropic = fixture<{
  upstreamRequest: unknown;
  upstreamResponse: unknown;
  openaiResponse: unknown;
  upstreamStream: string[];
  upstreamError: unknown;
}>('anthropic.json');
const translator = anthropicTranslator();

describe('OpenAI chat → Anthropic Messages', () => {
  test('translates messages, system, tools, tool results and sampling options', () => {
    const upstream = translator.request(structuredClone(request), context({ model: 'claude-upstream' }));
    expect(upstream.path).toBe('/v1/messages');
    expect(upstream.headers).toEqual({
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    });
    expect(JSON.parse(upstream.body)).toEqual(anthropic.upstreamRequest);
  });

  test('maps tool_choice and parallel_tool_calls, defaults max_tokens and converts data-URL images', () => {
    const base = {
      model: 'm',
      messages: [
        {
          role: 'user' as const,
          content: [{ type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0K' } }],
        },
      ],
      tools: request.tools,
    };
    expect(
      anthropicMessagesRequest({ ...base, tool_choice: 'required', parallel_tool_calls: false }, 'm'),
    ).toMatchObject({
      max_tokens: 4096,
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        {
          role: 'user',
          content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0K' } }],
        },
      ],
    });
    expect(
      anthropicMessagesRequest(
        { ...base, tool_choice: { type: 'function', function: { name: 'get_weather' } } },
        'm',
      ).tool_choice,
    ).toEqual({
      type: 'tool',
      name: 'get_weather',
    });
    expect(() =>
      anthropicMessagesRequest(
        {
          ...base,
          messages: [
            {
              role: 'assistant',
              tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: '{bad' } }],
            },
          ],
        },
        'm',
      ),
    ).toThrow('arguments must be a JSON object');
  });

  test('translates a response with text, a tool call and cached-token usage', () => {
    const translated = translator.response(
      Buffer.from(JSON.stringify(anthropic.upstreamResponse)),
      context(),
    );
    expect(JSON.parse(translated.body)).toEqual(anthropic.openaiResponse);
    expect(translated.usage).toEqual({
      inputTokens: 50,
      cachedInputTokens: 10,
      outputTokens: 12,
      totalTokens: 62,
    });
  });

  test('translates a stream split mid-event into OpenAI chunks with tool calls and a usage chunk', () => {
    const stream = translator.stream(context({ stream: true, includeUsage: true }));
    let out = '';
    for (const chunk of anthropic.upstreamStream) out += stream.push(Buffer.from(chunk));
    out += stream.end();
    const items = sseDataOf(out);
    expect(items.at(-1)).toBe('[DONE]');
    expect(items[0]).toMatchObject({
      id: 'msg_02',
      object: 'chat.completion.chunk',
      model: 'gpt-client',
      choices: [{ delta: { role: 'assistant' } }],
    });
    expect(assembleChunks(items)).toEqual({
      content: 'Sunny soon.',
      finish: 'tool_calls',
      usage: { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34 },
      calls: [{ id: 'toolu_3', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
    expect(stream.usage()).toEqual({
      inputTokens: 25,
      cachedInputTokens: 0,
      outputTokens: 9,
      totalTokens: 34,
    });
  });

  test('sends no usage chunk unless the client asked for one', () => {
    const stream = translator.stream(context({ stream: true }));
    const out =
      anthropic.upstreamStream.map((chunk) => stream.push(Buffer.from(chunk))).join('') + stream.end();
    expect(assembleChunks(sseDataOf(out)).usage).toBeUndefined();
    expect(stream.usage()?.outputTokens).toBe(9);
  });

  test("maps Anthropic's error body to OpenAI's error shape", () => {
    expect(
      JSON.parse(translator.error(429, Buffer.from(JSON.stringify(anthropic.upstreamError)), {})),
    ).toEqual({
      error: {
        message: 'Number of requests has exceeded your rate limit',
        type: 'rate_limit_error',
        param: null,
        code: null,
      },
    });
    expect(JSON.parse(translator.error(502, Buffer.from('Bad Gateway'), {}))).toMatchObject({
      error: { message: 'Bad Gateway', type: 'server_error' },
    });
  });

  test('reports an upstream error event inside a stream as an OpenAI error chunk', () => {
    const stream = translator.stream(context({ stream: true }));
    const out =
      stream.push(
        Buffer.from(
          'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
        ),
      ) + stream.end();
    expect(sseDataOf(out)).toEqual([
      { error: { message: 'Overloaded', type: 'overloaded_error', param: null, code: null } },
    ]);
  });
});
