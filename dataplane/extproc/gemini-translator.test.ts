import { describe, expect, test } from 'vitest';
import { geminiTranslator } from './gemini-translator.ts';
import type { ChatRequest } from './openai-schema.ts';
import { assembleChunks, context, fixture, sseDataOf } from './testdata/fixtures.ts';

const request = fixture<ChatRequest>('openai-chat-request.json');
const gemini = fixture<{
  upstreamRequest: unknown;
  upstreamResponse: unknown;
  openaiResponse: unknown;
  upstreamStream: string[];
  upstreamError: unknown;
}>('gemini.json');
const translator = geminiTranslator({ project: 'proj-1', region: 'us-central1' });

describe('OpenAI chat → Vertex AI Gemini', () => {
  test('builds the Vertex path and a generateContent body with function declarations and responses', () => {
    const upstream = translator.request(structuredClone(request), context({ model: 'gemini-upstream' }));
    expect(upstream.path).toBe(
      '/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-upstream:generateContent',
    );
    expect(JSON.parse(upstream.body)).toEqual(gemini.upstreamRequest);
    expect(translator.request(structuredClone(request), context({ model: 'g', stream: true })).path).toBe(
      '/v1/projects/proj-1/locations/us-central1/publishers/google/models/g:streamGenerateContent?alt=sse',
    );
  });

  test('refuses a tool result whose call id names no earlier tool call', () => {
    const bad = { model: 'g', messages: [{ role: 'tool' as const, tool_call_id: 'nope', content: 'x' }] };
    expect(() => translator.request(bad, context())).toThrow("unknown tool_call_id 'nope'");
  });

  test('translates a response with a function call into tool_calls with generated ids', () => {
    const translated = translator.response(Buffer.from(JSON.stringify(gemini.upstreamResponse)), context());
    expect(JSON.parse(translated.body)).toEqual(gemini.openaiResponse);
    expect(translated.usage).toEqual({
      inputTokens: 31,
      cachedInputTokens: 4,
      outputTokens: 7,
      totalTokens: 38,
    });
  });

  test('translates an alt=sse stream (CRLF events, split mid-event) into OpenAI chunks', () => {
    const stream = translator.stream(context({ stream: true, includeUsage: true }));
    const out = gemini.upstreamStream.map((chunk) => stream.push(Buffer.from(chunk))).join('') + stream.end();
    const items = sseDataOf(out);
    expect(items.at(-1)).toBe('[DONE]');
    expect(assembleChunks(items)).toEqual({
      content: 'Sunny soon.',
      finish: 'tool_calls',
      usage: { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34 },
      calls: [{ id: 'call_req-1_0', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
  });

  test("maps Google's error body to the OpenAI error shape", () => {
    expect(JSON.parse(translator.error(429, Buffer.from(JSON.stringify(gemini.upstreamError)), {}))).toEqual({
      error: {
        message: 'Resource has been exhausted (e.g. check quota).',
        type: 'RESOURCE_EXHAUSTED',
        param: null,
        code: null,
      },
    });
  });
});
