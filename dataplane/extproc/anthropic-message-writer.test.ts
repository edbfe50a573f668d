import { describe, expect, test } from 'vitest';
import { encodeEventStreamMessage } from './aws-event-stream.ts';
import {
  ANTHROPIC_CLIENT,
  chatTranslator,
  converseUpstream,
  geminiUpstream,
  openAIChatUpstream,
} from './chat-translators.ts';
import { context } from './testdata/fixtures.ts';

const request = {
  model: 'claude-client',
  max_tokens: 200,
  system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
  messages: [
    { role: 'user', content: 'Weather in Paris?' },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
      ],
    },
    {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '21C' }] }],
    },
  ],
  tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object' } }],
  tool_choice: { type: 'any', disable_parallel_tool_use: true },
  stop_sequences: ['END'],
  temperature: 0.5,
};

/** The events of an Anthropic stream as [name, data] pairs. */
function events(text: string): [string, Record<string, unknown>][] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [event, data] = block.split('\n');
      return [event!.slice('event: '.length), JSON.parse(data!.slice('data: '.length))];
    });
}

describe('Anthropic Messages clients on an OpenAI backend', () => {
  const translator = chatTranslator(
    ANTHROPIC_CLIENT,
    openAIChatUpstream(() => '/v1/chat/completions'),
  );

  test('the request becomes a chat completion: system message, tool calls, tool messages, stop, usage asked', () => {
    const upstream = translator.request(
      { ...request, stream: true },
      context({ model: 'gpt-4o', stream: true }),
    );
    expect(upstream.path).toBe('/v1/chat/completions');
    expect(JSON.parse(upstream.body)).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'toolu_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '21C' },
      ],
      max_completion_tokens: 200,
      temperature: 0.5,
      stop: ['END'],
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } },
        },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
  });

  test('a chat completion becomes an Anthropic message', () => {
    const translated = translator.response(
      Buffer.from(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: 'Sure.',
                tool_calls: [
                  { id: 'call_9', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
                ],
              },
              finish_reason: 'tool_calls',
            },
          ],
          usage: {
            prompt_tokens: 12,
            completion_tokens: 5,
            total_tokens: 17,
            prompt_tokens_details: { cached_tokens: 2 },
          },
        }),
      ),
      context({ requestModel: 'claude-client' }),
    );
    expect(JSON.parse(translated.body)).toEqual({
      id: 'chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'claude-client',
      content: [
        { type: 'text', text: 'Sure.' },
        { type: 'tool_use', id: 'call_9', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 2 },
    });
  });

  test('chat chunks become Anthropic events with blocks opened and closed in order', () => {
    const stream = translator.stream(context({ stream: true, requestModel: 'claude-client' }));
    const chunk = (delta: unknown, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-2', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const out =
      stream.push(
        Buffer.from(
          chunk({ role: 'assistant', content: '' }) +
            chunk({ content: 'Hel' }) +
            chunk({ content: 'lo' }) +
            chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '{"a"' } }] }) +
            chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }) +
            chunk({}, 'tool_calls') +
            `data: ${JSON.stringify({ id: 'chatcmpl-2', choices: [], usage: { prompt_tokens: 8, completion_tokens: 4, total_tokens: 12 } })}\n\n` +
            'data: [DONE]\n\n',
        ),
      ) + stream.end();
    expect(events(out)).toEqual([
      [
        'message_start',
        {
          type: 'message_start',
          message: {
            id: 'chatcmpl-2',
            type: 'message',
            role: 'assistant',
            model: 'claude-client',
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 0, output_tokens: 0 },
          },
        },
      ],
      [
        'content_block_start',
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      [
        'content_block_start',
        {
          type: 'content_block_start',
          index: 1,
          content_block: { type: 'tool_use', id: 'call_1', name: 'f', input: {} },
        },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a"' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: ':1}' } },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: { input_tokens: 8, output_tokens: 4 },
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ]);
    expect(stream.usage()).toMatchObject({ inputTokens: 8, outputTokens: 4 });
  });

  test("an OpenAI error becomes an Anthropic error with the upstream's type", () => {
    expect(
      JSON.parse(
        translator.error(
          429,
          Buffer.from(
            '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}',
          ),
          {},
        ),
      ),
    ).toEqual({ type: 'error', error: { type: 'requests', message: 'Rate limit reached' } });
    expect(JSON.parse(translator.error(503, Buffer.from('upstream connect error'), {}))).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'upstream connect error' },
    });
  });
});

describe('Anthropic Messages clients on Bedrock Converse', () => {
  const translator = chatTranslator(ANTHROPIC_CLIENT, converseUpstream());

  test('the request becomes a Converse body with cache points, tool results and top_k', () => {
    const upstream = translator.request(
      { ...request, top_k: 40 },
      context({ model: 'anthropic.claude-3-haiku' }),
    );
    expect(upstream.path).toBe('/model/anthropic.claude-3-haiku/converse');
    expect(JSON.parse(upstream.body)).toEqual({
      system: [{ text: 'Be brief.' }, { cachePoint: { type: 'default' } }],
      messages: [
        { role: 'user', content: [{ text: 'Weather in Paris?' }] },
        {
          role: 'assistant',
          content: [
            { text: 'Checking.' },
            { toolUse: { toolUseId: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } } },
          ],
        },
        { role: 'user', content: [{ toolResult: { toolUseId: 'toolu_1', content: [{ text: '21C' }] } }] },
      ],
      inferenceConfig: { maxTokens: 200, temperature: 0.5, stopSequences: ['END'] },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: 'get_weather',
              description: 'Weather',
              inputSchema: { json: { type: 'object' } },
            },
          },
        ],
        toolChoice: { any: {} },
      },
      additionalModelRequestFields: { top_k: 40 },
    });
  });

  test('a ConverseStream with two tools and reasoning becomes Anthropic events, one block per upstream block', () => {
    const frame = (type: string, payload: unknown) =>
      encodeEventStreamMessage(
        { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
        Buffer.from(JSON.stringify(payload)),
      );
    const stream = translator.stream(context({ stream: true, requestModel: 'claude-client' }));
    const out =
      stream.push(
        Buffer.concat([
          frame('messageStart', { role: 'assistant' }),
          frame('contentBlockDelta', {
            contentBlockIndex: 0,
            delta: { reasoningContent: { text: 'Plan.' } },
          }),
          frame('contentBlockDelta', {
            contentBlockIndex: 0,
            delta: { reasoningContent: { signature: 'sig' } },
          }),
          frame('contentBlockStart', {
            contentBlockIndex: 1,
            start: { toolUse: { toolUseId: 'a', name: 'x' } },
          }),
          frame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{}' } } }),
          frame('contentBlockStart', {
            contentBlockIndex: 2,
            start: { toolUse: { toolUseId: 'b', name: 'y' } },
          }),
          frame('contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '{"k":2}' } } }),
          frame('messageStop', { stopReason: 'tool_use' }),
          frame('metadata', { usage: { inputTokens: 11, outputTokens: 7 } }),
        ]),
      ) + stream.end();
    const deltas = events(out).map(([name, data]) =>
      name === 'content_block_start'
        ? `start ${data.index} ${(data.content_block as { type: string }).type}`
        : name === 'content_block_delta'
          ? `delta ${data.index} ${JSON.stringify(data.delta)}`
          : name === 'content_block_stop'
            ? `stop ${data.index}`
            : name === 'message_delta'
              ? `message_delta ${JSON.stringify(data)}`
              : name,
    );
    expect(deltas).toEqual([
      'message_start',
      'start 0 thinking',
      'delta 0 {"type":"thinking_delta","thinking":"Plan."}',
      'delta 0 {"type":"signature_delta","signature":"sig"}',
      'stop 0',
      'start 1 tool_use',
      'delta 1 {"type":"input_json_delta","partial_json":"{}"}',
      'stop 1',
      'start 2 tool_use',
      'delta 2 {"type":"input_json_delta","partial_json":"{\\"k\\":2}"}',
      'stop 2',
      'message_delta {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":11,"output_tokens":7}}',
      'message_stop',
    ]);
  });

  test('a Bedrock error keeps its x-amzn-errortype as the Anthropic error type', () => {
    expect(
      JSON.parse(
        translator.error(400, Buffer.from('{"message":"Malformed input"}'), {
          'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/',
        }),
      ),
    ).toEqual({ type: 'error', error: { type: 'ValidationException', message: 'Malformed input' } });
  });
});

describe('Anthropic Messages clients on Vertex Gemini', () => {
  const translator = chatTranslator(ANTHROPIC_CLIENT, geminiUpstream({ project: 'p', region: 'r' }));

  test('the request becomes generateContent and the reply an Anthropic message', () => {
    const upstream = translator.request(request, context({ model: 'gemini-2.0-flash' }));
    expect(upstream.path).toBe(
      '/v1/projects/p/locations/r/publishers/google/models/gemini-2.0-flash:generateContent',
    );
    expect(JSON.parse(upstream.body).contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      {
        role: 'model',
        parts: [{ text: 'Checking.' }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } } }],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '21C' } } }] },
    ]);
    const reply = translator.response(
      Buffer.from(
        JSON.stringify({
          responseId: 'r-1',
          candidates: [{ content: { parts: [{ text: 'Mild.' }] }, finishReason: 'MAX_TOKENS' }],
          usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 2, totalTokenCount: 9 },
        }),
      ),
      context({ requestModel: 'claude-client' }),
    );
    expect(JSON.parse(reply.body)).toEqual({
      id: 'r-1',
      type: 'message',
      role: 'assistant',
      model: 'claude-client',
      content: [{ type: 'text', text: 'Mild.' }],
      stop_reason: 'max_tokens',
      stop_sequence: null,
      usage: { input_tokens: 7, output_tokens: 2 },
    });
  });

  test("server tools exist only on Anthropic's API and are refused with a clear message", () => {
    expect(() =>
      translator.request(
        { ...request, tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
        context(),
      ),
    ).toThrow("tools[0]: the server tool 'web_search_20250305' exists only on Anthropic's API");
  });
});
