import { expect, test } from 'vitest';
import { azureOpenAITranslator, openAITranslator } from './openai-translator.ts';
import { context } from './testdata/fixtures.ts';

const body = { model: 'gpt-client', messages: [{ role: 'user', content: 'hi' }], stream: true };

test('OpenAI passthrough keeps the path and the body, overriding only the model; a prefix moves the path', () => {
  const upstream = openAITranslator('openai.chat').request(body, context({ model: 'gpt-4o-mini' }));
  expect(upstream.path).toBe('/v1/chat/completions');
  expect(JSON.parse(upstream.body)).toEqual({ ...body, model: 'gpt-4o-mini' });
  expect(
    openAITranslator('openai.embeddings').request({ model: 'e', input: 'x' }, context({ model: 'e' })).body,
  ).toBe('{"model":"e","input":"x"}');
  expect(openAITranslator('openai.chat', '/v1beta/openai').request(body, context()).path).toBe(
    '/v1beta/openai/chat/completions',
  );
  expect(openAITranslator('openai.responses').request(body, context()).path).toBe('/v1/responses');
  expect(openAITranslator('openai.images').request(body, context()).path).toBe('/v1/images/generations');
});

test('Azure OpenAI uses the deployment path and api-version; the Responses API takes the model in the body', () => {
  expect(
    azureOpenAITranslator('openai.chat', '2024-10-21').request(body, context({ model: 'gpt-4o' })).path,
  ).toBe('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
  expect(
    azureOpenAITranslator('openai.embeddings', '2024-10-21').request(body, context({ model: 'ada' })).path,
  ).toBe('/openai/deployments/ada/embeddings?api-version=2024-10-21');
  expect(
    azureOpenAITranslator('openai.images', '2025-04-01-preview').request(
      body,
      context({ model: 'gpt-image-1' }),
    ).path,
  ).toBe('/openai/deployments/gpt-image-1/images/generations?api-version=2025-04-01-preview');
  const responses = azureOpenAITranslator('openai.responses', '2025-03-01-preview').request(
    { model: 'gpt-client', input: 'hi' },
    context({ model: 'o4-mini' }),
  );
  expect(responses.path).toBe('/openai/responses?api-version=2025-03-01-preview');
  expect(JSON.parse(responses.body)).toEqual({ model: 'o4-mini', input: 'hi' });
});

test("the Responses API's input token count: its path on OpenAI and Azure, the count read as input tokens", () => {
  const request = { model: 'gpt-client', input: 'Say hello' };
  const openai = openAITranslator('openai.responses_input_tokens');
  expect(openai.request(request, context({ model: 'gpt-4o' }))).toEqual({
    path: '/v1/responses/input_tokens',
    body: JSON.stringify({ ...request, model: 'gpt-4o' }),
    headers: {},
  });
  expect(
    azureOpenAITranslator('openai.responses_input_tokens', '2025-03-01-preview').request(request, context())
      .path,
  ).toBe('/openai/responses/input_tokens?api-version=2025-03-01-preview');
  const answer = openai.response(
    Buffer.from('{"object":"response.input_tokens","input_tokens":9}'),
    context(),
  );
  expect(answer.body).toBe('{"object":"response.input_tokens","input_tokens":9}');
  expect(answer.usage).toMatchObject({ inputTokens: 9, outputTokens: 0, totalTokens: 9 });
});

test('passed-through chat responses are left as they are and read for usage, streamed or not', () => {
  const translator = openAITranslator('openai.chat');
  const whole =
    '{"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":1}}}';
  expect(translator.response(Buffer.from(whole), context())).toEqual({
    body: whole,
    usage: {
      inputTokens: 3,
      cachedInputTokens: 1,
      cacheCreationInputTokens: 0,
      outputTokens: 4,
      reasoningTokens: 0,
      totalTokens: 7,
    },
  });
  const stream = translator.stream(context({ stream: true }));
  const parts = [
    'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[],"us',
    'age":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\ndata: [DONE]\n\n',
  ];
  expect(parts.map((part) => stream.push(Buffer.from(part))).join('') + stream.end()).toBe(parts.join(''));
  expect(stream.usage()).toMatchObject({ inputTokens: 5, outputTokens: 2, totalTokens: 7 });
});

test('the Responses API is read for usage from the whole response or its response.completed event', () => {
  const translator = openAITranslator('openai.responses');
  const usage = {
    input_tokens: 20,
    input_tokens_details: { cached_tokens: 4 },
    output_tokens: 9,
    output_tokens_details: { reasoning_tokens: 3 },
    total_tokens: 29,
  };
  const whole = JSON.stringify({ id: 'resp_1', object: 'response', output: [], usage });
  expect(translator.response(Buffer.from(whole), context()).usage).toEqual({
    inputTokens: 20,
    cachedInputTokens: 4,
    cacheCreationInputTokens: 0,
    outputTokens: 9,
    reasoningTokens: 3,
    totalTokens: 29,
  });
  const stream = translator.stream(context({ stream: true }));
  const text =
    'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_2","usage":null}}\n\n' +
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"Hi"}\n\n' +
    `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response: { id: 'resp_2', usage } })}\n\n`;
  expect(stream.push(Buffer.from(text)) + stream.end()).toBe(text);
  expect(stream.usage()).toMatchObject({ inputTokens: 20, outputTokens: 9, reasoningTokens: 3 });
});

test('image generation is read for usage (gpt-image-1 reports tokens)', () => {
  const translator = openAITranslator('openai.images');
  const whole = JSON.stringify({
    created: 1,
    data: [{ b64_json: 'AAAA' }],
    usage: { input_tokens: 50, output_tokens: 4160, total_tokens: 4210 },
  });
  expect(translator.response(Buffer.from(whole), context())).toEqual({
    body: whole,
    usage: expect.objectContaining({ inputTokens: 50, outputTokens: 4160, totalTokens: 4210 }),
  });
});

test('OpenAI error bodies pass through; anything else is wrapped in the OpenAI shape', () => {
  const translator = openAITranslator('openai.chat');
  const error =
    '{"error":{"message":"quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}';
  expect(translator.error(429, Buffer.from(error), {})).toBe(error);
  expect(JSON.parse(translator.error(503, Buffer.from('<html>down</html>'), {}))).toEqual({
    error: { message: '<html>down</html>', type: 'server_error', param: null, code: '503' },
  });
});

test("vLLM's /tokenize: at the root whatever the prefix, the model overridden; malformed unions refused with 400", () => {
  const prompt = { model: 'client', prompt: 'Hello world', add_special_tokens: false };
  const upstream = openAITranslator('openai.tokenize', 'v1').request(prompt, context({ model: 'llama' }));
  expect(upstream.path).toBe('/tokenize');
  expect(JSON.parse(upstream.body)).toEqual({ ...prompt, model: 'llama' });
  const refused = (request: Record<string, unknown>) => {
    try {
      openAITranslator('openai.tokenize').request(request, context());
    } catch (error) {
      return { status: (error as { status?: number }).status, message: (error as Error).message };
    }
    return undefined;
  };
  expect(refused({ model: 'm', prompt: 'a', messages: [] })).toEqual({
    status: 400,
    message: "a tokenize request has either 'prompt' or 'messages', not both",
  });
  expect(refused({ model: 'm', messages: [], continue_final_message: true })).toEqual({
    status: 400,
    message: 'cannot set both continue_final_message and add_generation_prompt to true',
  });
  expect(
    refused({ model: 'm', messages: [], continue_final_message: true, add_generation_prompt: false }),
  ).toBe(undefined);
});
