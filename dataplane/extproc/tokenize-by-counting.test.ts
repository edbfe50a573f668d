import { expect, test } from 'vitest';
import { parseExtProcConfig } from './config.ts';
import { selectTranslator } from './select-translator.ts';
import { context } from './testdata/fixtures.ts';

const config = parseExtProcConfig(`
rules: [{ models: [m], backends: [claude] }]
backends:
  - { name: claude, schema: AWSAnthropic, host: bedrock-runtime.us-east-1.amazonaws.com, auth: { aws: { region: us-east-1, accessKeyId: AKID, secretAccessKey: s } } }
  - { name: gemini, schema: GCPVertexAI, auth: { gcp: { accessToken: t, projectName: p, region: r } } }
`);

test("a completion's prompt is counted as one user message; the answer is the count alone", () => {
  const tokenize = selectTranslator('openai.tokenize', config.backends.get('claude')!)!;
  const upstream = tokenize.request(
    { model: 'm', prompt: 'Hello world' },
    context({ model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0' }),
  );
  expect(upstream.path).toBe('/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/count-tokens');
  const invoke = JSON.parse(upstream.body).input.invokeModel.body as string;
  expect(JSON.parse(Buffer.from(invoke, 'base64').toString('utf8'))).toEqual({
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: 1,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello world' }] }],
  });
  expect(tokenize.response(Buffer.from('{"inputTokens":7}'), context())).toEqual({
    body: '{"count":7,"max_model_len":0,"tokens":null}',
    usage: undefined,
  });
  expect(() => tokenize.request({ model: 'm', prompt: 'a', messages: [] }, context())).toThrow(
    "a tokenize request has either 'prompt' or 'messages', not both",
  );
});

test('backends whose counting is not built (Gemini) have no tokenize translator: the service answers 422', () => {
  expect(selectTranslator('openai.tokenize', config.backends.get('gemini')!)).toBeUndefined();
});
