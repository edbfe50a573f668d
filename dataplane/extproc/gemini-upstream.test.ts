import { describe, expect, test } from 'vitest';
import { chatTranslator, geminiUpstream, OPENAI_CHAT_CLIENT } from './chat-translators.ts';
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
const translator = chatTranslator(
  OPENAI_CHAT_CLIENT,
  geminiUpstream({ project: 'proj-1', region: 'us-central1' }),
);

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
    expect(() => translator.request(bad, context())).toThrow("unknown tool call 'nope'");
  });

  test('translates a response with a function call into tool_calls with generated ids', () => {
    const translated = translator.response(Buffer.from(JSON.stringify(gemini.upstreamResponse)), context());
    expect(JSON.parse(translated.body)).toEqual(gemini.openaiResponse);
    expect(translated.usage).toMatchObject({
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
        code: '429',
      },
    });
  });

  test('counts thoughts as reasoning tokens inside the output, keeps thought text and Gemini call ids', () => {
    const translated = translator.response(
      Buffer.from(
        JSON.stringify({
          responseId: 'resp-7',
          candidates: [
            {
              content: {
                role: 'model',
                parts: [
                  { text: 'Considering.', thought: true },
                  { functionCall: { id: 'fc-1', name: 'f', args: {} }, thoughtSignature: 'c2ln' },
                ],
              },
              finishReason: 'STOP',
            },
          ],
          usageMetadata: {
            promptTokenCount: 10,
            candidatesTokenCount: 4,
            thoughtsTokenCount: 6,
            totalTokenCount: 20,
          },
        }),
      ),
      context(),
    );
    const completion = JSON.parse(translated.body);
    expect(completion.id).toBe('resp-7');
    expect(completion.choices[0].message).toEqual({
      role: 'assistant',
      content: null,
      reasoning_content: 'Considering.',
      thinking_blocks: [{ type: 'thinking', thinking: 'Considering.', signature: 'c2ln' }],
      tool_calls: [{ id: 'fc-1', type: 'function', function: { name: 'f', arguments: '{}' } }],
    });
    expect(completion.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 10,
      total_tokens: 20,
      completion_tokens_details: { reasoning_tokens: 6 },
    });
    expect(translated.usage?.reasoningTokens).toBe(6);
  });

  test("streamed chunks carry the upstream's responseId; thinking config and thought signatures go upstream", () => {
    const stream = translator.stream(context({ stream: true }));
    const out =
      stream.push(
        Buffer.from(
          `data: ${JSON.stringify({ responseId: 'resp-s', candidates: [{ content: { parts: [{ text: 'Hi' }] }, finishReason: 'STOP' }] })}\n\n`,
        ),
      ) + stream.end();
    const ids = sseDataOf(out).flatMap((item) => (typeof item === 'string' ? [] : [item.id]));
    expect(new Set(ids)).toEqual(new Set(['resp-s']));
    const body = JSON.parse(
      translator.request(
        {
          model: 'g',
          thinking: { type: 'enabled', budget_tokens: 512 },
          messages: [
            {
              role: 'assistant',
              thinking_blocks: [{ type: 'thinking', thinking: '', signature: 'c2ln' }],
              tool_calls: [{ id: 'fc-1', type: 'function', function: { name: 'f', arguments: '{}' } }],
            },
            { role: 'tool', tool_call_id: 'fc-1', content: 'done' },
          ],
        },
        context(),
      ).body,
    );
    expect(body.generationConfig).toEqual({ thinkingConfig: { includeThoughts: true, thinkingBudget: 512 } });
    expect(body.contents).toEqual([
      { role: 'model', parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'c2ln' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'f', response: { output: 'done' } } }] },
    ]);
  });
});
