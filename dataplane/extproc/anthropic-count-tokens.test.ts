import { expect, test } from 'vitest';
import {
  anthropicCountTokensTranslator,
  awsAnthropicCountTokensTranslator,
  gcpAnthropicCountTokensTranslator,
} from './anthropic-count-tokens.ts';
import { context } from './testdata/fixtures.ts';
import { TranslationError } from './translator.ts';

const location = { project: 'proj-1', region: 'europe-west1' };
const body = {
  model: 'claude-client',
  system: 'Be brief.',
  messages: [{ role: 'user', content: 'hi' }],
  tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
};

test('Anthropic: passed through to <prefix>/messages/count_tokens with the model overridden, read for the count', () => {
  const translator = anthropicCountTokensTranslator();
  expect(translator.request(body, context({ model: 'claude-3-haiku' }))).toEqual({
    path: '/v1/messages/count_tokens',
    body: JSON.stringify({ ...body, model: 'claude-3-haiku' }),
    headers: { 'anthropic-version': '2023-06-01' },
  });
  expect(anthropicCountTokensTranslator('api/anthropic/v1').request(body, context()).path).toBe(
    '/api/anthropic/v1/messages/count_tokens',
  );
  const answer = translator.response(Buffer.from('{"input_tokens":42}'), context());
  expect(translator.rewritesResponse).toBe(false);
  expect(answer.usage).toMatchObject({ inputTokens: 42, outputTokens: 0, totalTokens: 42 });
  expect(translator.response(Buffer.from('{}'), context()).usage).toBeUndefined();
});

test("Vertex: the count-tokens model's rawPredict, the model in the body without @latest, Vertex's anthropic_version", () => {
  const upstream = gcpAnthropicCountTokensTranslator(location, 'vertex-2023-10-16').request(
    body,
    context({ model: 'claude-3-5-haiku@latest' }),
  );
  expect(upstream.path).toBe(
    '/v1/projects/proj-1/locations/europe-west1/publishers/anthropic/models/count-tokens:rawPredict',
  );
  expect(JSON.parse(upstream.body)).toEqual({
    anthropic_version: 'vertex-2023-10-16',
    ...body,
    model: 'claude-3-5-haiku',
  });
  expect(upstream.headers).toEqual({ 'content-type': 'application/json' });
});

test("Bedrock: CountTokens of the InvokeModel body, base64 in input.invokeModel.body; {inputTokens} becomes Anthropic's answer", () => {
  const translator = awsAnthropicCountTokensTranslator('bedrock-2023-05-31');
  const upstream = translator.request(body, context({ model: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }));
  // An inference profile is counted by its foundation model.
  expect(upstream.path).toBe('/model/anthropic.claude-sonnet-4-20250514-v1%3A0/count-tokens');
  const wrapped = JSON.parse(upstream.body) as { input: { invokeModel: { body: string } } };
  expect(Object.keys(wrapped)).toEqual(['input']);
  const { model: _model, ...rest } = body;
  expect(JSON.parse(Buffer.from(wrapped.input.invokeModel.body, 'base64').toString('utf8'))).toEqual({
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: 1,
    ...rest,
  });
  const withMax = JSON.parse(
    translator.request({ ...body, max_tokens: 500 }, context()).body,
  ) as typeof wrapped;
  expect(JSON.parse(Buffer.from(withMax.input.invokeModel.body, 'base64').toString('utf8'))).toMatchObject({
    max_tokens: 500,
  });
  const answer = translator.response(Buffer.from('{"inputTokens":57}'), context());
  expect(answer).toEqual({
    body: '{"input_tokens":57}',
    usage: expect.objectContaining({ inputTokens: 57 }),
  });
  expect(() => translator.response(Buffer.from('{"message":"?"}'), context())).toThrow(TranslationError);
  expect(
    JSON.parse(
      translator.error(400, Buffer.from('{"message":"The provided model identifier is invalid."}'), {
        'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/',
      }),
    ),
  ).toEqual({
    type: 'error',
    error: { type: 'ValidationException', message: 'The provided model identifier is invalid.' },
  });
});

test('a count asking for a stream is refused, whatever the upstream', () => {
  for (const translator of [
    anthropicCountTokensTranslator(),
    gcpAnthropicCountTokensTranslator(location, 'vertex-2023-10-16'),
    awsAnthropicCountTokensTranslator('bedrock-2023-05-31'),
  ]) {
    expect(() => translator.request({ ...body, stream: true }, context({ stream: true }))).toThrow(
      'token counting is not streamed',
    );
  }
});
