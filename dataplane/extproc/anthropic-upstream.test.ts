import { describe, expect, test } from 'vitest';
import { encodeEventStreamMessage } from './aws-event-stream.ts';
import {
  anthropicUpstream,
  awsAnthropicUpstream,
  chatTranslator,
  gcpAnthropicUpstream,
  OPENAI_CHAT_CLIENT,
} from './chat-translators.ts';
import type { ChatCompletionChunk, ChatRequest } from './openai-schema.ts';
import { assembleChunks, context, fixture, sseDataOf } from './testdata/fixtures.ts';

const request = fixture<ChatRequest>('openai-chat-request.json');
const anthropic = fixture<{
  upstreamRequest: unknown;
  upstreamResponse: unknown;
  openaiResponse: unknown;
  upstreamStream: string[];
  upstreamError: unknown;
}>('anthropic.json');
const translator = chatTranslator(OPENAI_CHAT_CLIENT, anthropicUpstream('v1'));
const body = (chat: Partial<ChatRequest>) =>
  JSON.parse(translator.request({ model: 'm', messages: [], ...chat }, context({ model: 'm' })).body);

describe('OpenAI chat → Anthropic Messages', () => {
  test('translates messages, system blocks, tools, tool results as blocks and sampling options', () => {
    const upstream = translator.request(structuredClone(request), context({ model: 'claude-upstream' }));
    expect(upstream.path).toBe('/v1/messages');
    expect(upstream.headers).toEqual({
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    });
    expect(JSON.parse(upstream.body)).toEqual(anthropic.upstreamRequest);
  });

  test('keeps cache_control on system parts, user parts, tools, tool calls and tool messages', () => {
    const cache = { type: 'ephemeral' };
    expect(
      body({
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Long rules.', cache_control: cache }] },
          { role: 'developer', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'Big document', cache_control: cache }] },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' }, cache_control: cache },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: '{"error":"not found"}', cache_control: cache },
        ],
        tools: [
          { type: 'function', function: { name: 'f', parameters: { type: 'object' }, cache_control: cache } },
        ],
      }),
    ).toMatchObject({
      system: [
        { type: 'text', text: 'Long rules.', cache_control: cache },
        { type: 'text', text: 'Be brief.' },
      ],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Big document', cache_control: cache }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'c1', name: 'f', input: {}, cache_control: cache }],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'c1',
              content: [{ type: 'text', text: '{"error":"not found"}' }],
              is_error: true,
              cache_control: cache,
            },
          ],
        },
      ],
      tools: [{ name: 'f', input_schema: { type: 'object' }, cache_control: cache }],
    });
  });

  test('tool results with image parts, consecutive tool messages merged into one user turn', () => {
    expect(
      body({
        messages: [
          {
            role: 'assistant',
            tool_calls: [
              { id: 'a', type: 'function', function: { name: 'shot', arguments: '' } },
              { id: 'b', type: 'function', function: { name: 'shot', arguments: '' } },
            ],
          },
          {
            role: 'tool',
            tool_call_id: 'a',
            content: [
              { type: 'text', text: 'screen:' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            ],
          },
          { role: 'tool', tool_call_id: 'b', content: 'plain' },
        ],
      }).messages[1],
    ).toEqual({
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'a',
          content: [
            { type: 'text', text: 'screen:' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
        { type: 'tool_result', tool_use_id: 'b', content: [{ type: 'text', text: 'plain' }] },
      ],
    });
  });

  test('maps tool_choice and parallel_tool_calls, defaults max_tokens, converts images and thinking', () => {
    const base = {
      messages: [
        {
          role: 'user' as const,
          content: [{ type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0K' } }],
        },
      ],
      tools: request.tools,
    };
    expect(body({ ...base, tool_choice: 'required', parallel_tool_calls: false })).toMatchObject({
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
      body({ ...base, tool_choice: { type: 'function', function: { name: 'get_weather' } } }).tool_choice,
    ).toEqual({ type: 'tool', name: 'get_weather' });
    expect(body({ thinking: { type: 'enabled', budget_tokens: 2048 } }).thinking).toEqual({
      type: 'enabled',
      budget_tokens: 2048,
    });
    // A previous reply's reasoning comes back with its signature (LiteLLM's thinking_blocks).
    expect(
      body({
        messages: [
          {
            role: 'assistant',
            content: 'Done.',
            thinking_blocks: [{ type: 'thinking', thinking: 'Let me see', signature: 'sig-1' }],
          },
        ],
      }).messages,
    ).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Let me see', signature: 'sig-1' },
          { type: 'text', text: 'Done.' },
        ],
      },
    ]);
    expect(() =>
      body({
        messages: [
          {
            role: 'assistant',
            tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: '{bad' } }],
          },
        ],
      }),
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
      cacheCreationInputTokens: 0,
      outputTokens: 12,
      reasoningTokens: 0,
      totalTokens: 62,
    });
  });

  test('thinking comes back as reasoning_content and, with its signature, as thinking_blocks', () => {
    const translated = translator.response(
      Buffer.from(
        JSON.stringify({
          id: 'msg_t',
          content: [
            { type: 'thinking', thinking: 'Hmm.', signature: 'sig-9' },
            { type: 'text', text: 'Yes.' },
          ],
          stop_reason: 'end_turn',
          usage: { input_tokens: 5, output_tokens: 7, cache_creation_input_tokens: 3 },
        }),
      ),
      context(),
    );
    expect(JSON.parse(translated.body).choices[0].message).toEqual({
      role: 'assistant',
      content: 'Yes.',
      reasoning_content: 'Hmm.',
      thinking_blocks: [{ type: 'thinking', thinking: 'Hmm.', signature: 'sig-9' }],
    });
    expect(JSON.parse(translated.body).usage).toEqual({
      prompt_tokens: 8,
      completion_tokens: 7,
      total_tokens: 15,
      prompt_tokens_details: { cache_creation_tokens: 3 },
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
    expect(stream.usage()).toMatchObject({ inputTokens: 25, outputTokens: 9, totalTokens: 34 });
  });

  test('streams thinking as reasoning_content deltas and the signature as a thinking block', () => {
    const stream = translator.stream(context({ stream: true }));
    const event = (data: unknown) => `event: x\ndata: ${JSON.stringify(data)}\n\n`;
    const out =
      stream.push(
        Buffer.from(
          event({
            type: 'message_start',
            message: { id: 'm', usage: { input_tokens: 3, output_tokens: 0 } },
          }) +
            event({
              type: 'content_block_start',
              index: 0,
              content_block: { type: 'thinking', thinking: '' },
            }) +
            event({
              type: 'content_block_delta',
              index: 0,
              delta: { type: 'thinking_delta', thinking: 'Think.' },
            }) +
            event({
              type: 'content_block_delta',
              index: 0,
              delta: { type: 'signature_delta', signature: 'sg' },
            }),
        ),
      ) + stream.end();
    expect(
      sseDataOf(out).map((item) =>
        typeof item === 'string' ? item : (item as ChatCompletionChunk).choices[0]?.delta,
      ),
    ).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'Think.' },
      { thinking_blocks: [{ type: 'thinking', signature: 'sg' }] },
      '[DONE]',
    ]);
  });

  test('sends no usage chunk unless the client asked for one (or costs need it)', () => {
    const stream = translator.stream(context({ stream: true }));
    const out =
      anthropic.upstreamStream.map((chunk) => stream.push(Buffer.from(chunk))).join('') + stream.end();
    expect(assembleChunks(sseDataOf(out)).usage).toBeUndefined();
    expect(stream.usage()?.outputTokens).toBe(9);
  });

  test("maps Anthropic's error body to OpenAI's error shape, the type kept and the status as code", () => {
    expect(
      JSON.parse(translator.error(429, Buffer.from(JSON.stringify(anthropic.upstreamError)), {})),
    ).toEqual({
      error: {
        message: 'Number of requests has exceeded your rate limit',
        type: 'rate_limit_error',
        param: null,
        code: '429',
      },
    });
    expect(JSON.parse(translator.error(502, Buffer.from('Bad Gateway'), {}))).toMatchObject({
      error: { message: 'Bad Gateway', type: 'server_error', code: '502' },
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

describe('OpenAI chat → Anthropic on Vertex and on Bedrock', () => {
  const location = { project: 'proj-1', region: 'europe-west1' };

  test('Vertex: rawPredict path, Vertex anthropic_version, no model in the body', () => {
    const vertex = chatTranslator(OPENAI_CHAT_CLIENT, gcpAnthropicUpstream(location, 'vertex-2023-10-16'));
    const upstream = vertex.request(
      { model: 'gpt-client', messages: [{ role: 'user', content: 'hi' }] },
      context({ model: 'claude-3-5-haiku@20241022' }),
    );
    expect(upstream.path).toBe(
      '/v1/projects/proj-1/locations/europe-west1/publishers/anthropic/models/claude-3-5-haiku@20241022:rawPredict',
    );
    expect(JSON.parse(upstream.body)).toEqual({
      anthropic_version: 'vertex-2023-10-16',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      max_tokens: 4096,
    });
    expect(
      vertex.request({ model: 'x', messages: [], stream: true }, context({ model: 'c', stream: true })).path,
    ).toMatch(/models\/c:streamRawPredict$/);
  });

  test('Bedrock InvokeModel: model and stream in the path, frames of base64 events read back', () => {
    const aws = chatTranslator(OPENAI_CHAT_CLIENT, awsAnthropicUpstream('bedrock-2023-05-31'));
    const upstream = aws.request(
      { model: 'c', messages: [{ role: 'user', content: 'hi' }], stream: true },
      context({ model: 'anthropic.claude-3-haiku-20240307-v1:0', stream: true }),
    );
    expect(upstream.path).toBe('/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream');
    expect(JSON.parse(upstream.body)).toEqual({
      anthropic_version: 'bedrock-2023-05-31',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      max_tokens: 4096,
    });
    const frames = Buffer.concat(
      anthropic.upstreamStream
        .join('')
        .split('\n\n')
        .filter((block) => block.includes('data: '))
        .map((block) =>
          encodeEventStreamMessage(
            { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' },
            Buffer.from(
              JSON.stringify({
                bytes: Buffer.from(block.slice(block.indexOf('data: ') + 6)).toString('base64'),
              }),
            ),
          ),
        ),
    );
    const stream = aws.stream(context({ stream: true, includeUsage: true }));
    let out = '';
    for (let at = 0; at < frames.length; at += 11) out += stream.push(frames.subarray(at, at + 11));
    out += stream.end();
    expect(assembleChunks(sseDataOf(out))).toEqual({
      content: 'Sunny soon.',
      finish: 'tool_calls',
      usage: { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34 },
      calls: [{ id: 'toolu_3', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
    expect(
      JSON.parse(
        aws.error(400, Buffer.from('{"message":"bad input"}'), {
          'x-amzn-errortype': 'ValidationException:x',
        }),
      ),
    ).toEqual({ error: { message: 'bad input', type: 'ValidationException', param: null, code: '400' } });
  });
});
