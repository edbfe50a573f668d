import { expect, test } from 'vitest';
import { parseExtProcConfig } from './config.ts';
import { selectTranslator } from './select-translator.ts';
import { context } from './testdata/fixtures.ts';

const config = parseExtProcConfig(`
rules: [{ models: [m], backends: [claude] }]
backends:
  - { name: claude, schema: AWSAnthropic, host: bedrock-runtime.us-east-1.amazonaws.com, auth: { aws: { region: us-east-1, accessKeyId: AKID, secretAccessKey: s } } }
  - { name: gemini, schema: GCPVertexAI, auth: { gcp: { accessToken: t, projectName: p, region: r } } }
  - { name: nova, schema: AWSBedrock, host: bedrock-runtime.us-east-1.amazonaws.com, auth: { aws: { region: us-east-1, accessKeyId: AKID, secretAccessKey: s } } }
  - { name: azure, schema: AzureOpenAI }
  - { name: anthropic, schema: Anthropic }
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

test("Gemini on Vertex: countTokens with the generateContent body's contents, system instruction and tools", () => {
  const tokenize = selectTranslator('openai.tokenize', config.backends.get('gemini')!)!;
  const upstream = tokenize.request(
    {
      model: 'm',
      media_resolution: 'MEDIA_RESOLUTION_LOW',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello world' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    },
    context({ model: 'gemini-2.5-flash' }),
  );
  expect(upstream.path).toBe(
    '/v1/projects/p/locations/r/publishers/google/models/gemini-2.5-flash:countTokens',
  );
  expect(JSON.parse(upstream.body)).toEqual({
    contents: [{ role: 'user', parts: [{ text: 'Hello world' }] }],
    systemInstruction: { parts: [{ text: 'Be brief.' }] },
    tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'object' } }] }],
    generationConfig: { mediaResolution: 'MEDIA_RESOLUTION_LOW' },
  });
  expect(
    tokenize.response(Buffer.from('{"totalTokens":9,"totalBillableCharacters":20}'), context()).body,
  ).toBe('{"count":9,"max_model_len":0,"tokens":null}');
  expect(() => tokenize.response(Buffer.from('{}'), context())).toThrow(
    'the upstream token count has no totalTokens',
  );
});

test('Bedrock Converse: CountTokens with a Converse input, for the foundation model of an inference profile', () => {
  const tokenize = selectTranslator('openai.tokenize', config.backends.get('nova')!)!;
  const upstream = tokenize.request(
    { model: 'm', prompt: 'Hello world', max_tokens: 5 },
    context({ model: 'us.amazon.nova-pro-v1:0' }),
  );
  expect(upstream.path).toBe('/model/amazon.nova-pro-v1%3A0/count-tokens');
  expect(JSON.parse(upstream.body)).toEqual({
    input: { converse: { messages: [{ role: 'user', content: [{ text: 'Hello world' }] }] } },
  });
  expect(tokenize.response(Buffer.from('{"inputTokens":3}'), context()).body).toBe(
    '{"count":3,"max_model_len":0,"tokens":null}',
  );
});

test('Azure, Anthropic and Cohere backends have no tokenize translator: the service answers 422', () => {
  for (const name of ['azure', 'anthropic'])
    expect(selectTranslator('openai.tokenize', config.backends.get(name)!)).toBeUndefined();
});
