import { expect, test } from 'vitest';
import { azureOpenAITranslator } from './azure-openai-translator.ts';
import { openAITranslator } from './openai-translator.ts';
import { context } from './testdata/fixtures.ts';

const body = { model: 'gpt-client', messages: [{ role: 'user', content: 'hi' }], stream: true };

test('OpenAI passthrough keeps the path and the body, overriding only the model', () => {
  const upstream = openAITranslator('openai.chat').request(body, context({ model: 'gpt-4o-mini' }));
  expect(upstream.path).toBe('/v1/chat/completions');
  expect(JSON.parse(upstream.body)).toEqual({ ...body, model: 'gpt-4o-mini' });
  expect(
    openAITranslator('openai.embeddings').request({ model: 'e', input: 'x' }, context({ model: 'e' })).body,
  ).toBe('{"model":"e","input":"x"}');
});

test('Azure OpenAI uses the deployment path and api-version', () => {
  expect(
    azureOpenAITranslator('openai.chat', '2024-10-21').request(body, context({ model: 'gpt-4o' })).path,
  ).toBe('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
  expect(
    azureOpenAITranslator('openai.embeddings', '2024-10-21').request(body, context({ model: 'ada' })).path,
  ).toBe('/openai/deployments/ada/embeddings?api-version=2024-10-21');
});

test('passed-through responses are left as they are and read for usage, streamed or not', () => {
  const translator = openAITranslator('openai.chat');
  const whole =
    '{"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":1}}}';
  expect(translator.response(Buffer.from(whole), context())).toEqual({
    body: whole,
    usage: { inputTokens: 3, cachedInputTokens: 1, outputTokens: 4, totalTokens: 7 },
  });
  const stream = translator.stream(context({ stream: true }));
  const parts = [
    'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[],"us',
    'age":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\ndata: [DONE]\n\n',
  ];
  expect(parts.map((part) => stream.push(Buffer.from(part))).join('') + stream.end()).toBe(parts.join(''));
  expect(stream.usage()).toEqual({ inputTokens: 5, cachedInputTokens: 0, outputTokens: 2, totalTokens: 7 });
});

test('OpenAI error bodies pass through; anything else is wrapped in the OpenAI shape', () => {
  const translator = openAITranslator('openai.chat');
  const error =
    '{"error":{"message":"quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}';
  expect(translator.error(429, Buffer.from(error), {})).toBe(error);
  expect(JSON.parse(translator.error(503, Buffer.from('<html>down</html>'), {}))).toEqual({
    error: { message: '<html>down</html>', type: 'server_error', param: null, code: null },
  });
});
