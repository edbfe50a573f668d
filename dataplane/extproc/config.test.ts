import { describe, expect, test } from 'vitest';
import { parseExtProcConfig } from './config.ts';

describe('config', () => {
  test('an empty file is refused, so a reload never swaps in a half-written config', () => {
    expect(() => parseExtProcConfig('')).toThrow('config is empty');
    expect(() => parseExtProcConfig('  \n')).toThrow('config is empty');
  });

  test('errors name the field and the fix', () => {
    expect(() => parseExtProcConfig('rules: [{ models: [a], backends: [ghost] }]')).toThrow(
      "rules[0].backends[0].name 'ghost' is not one of the backends",
    );
    expect(() => parseExtProcConfig('backends: [{ name: b, schema: Cohere }]')).toThrow(
      'backends[0].schema.name must be one of',
    );
    expect(() => parseExtProcConfig('backends: [{ name: b, schema: OpenAI, auth: { apiKey: {} } }]')).toThrow(
      'backends[0].auth.apiKey needs key or keyFile',
    );
    expect(() =>
      parseExtProcConfig('llmRequestCosts: [{ metadataKey: c, type: CEL, cel: "input_tokens +" }]'),
    ).toThrow("llmRequestCosts 'c': CEL expression does not parse");
    expect(() => parseExtProcConfig('{"maxRequestBodyBytes": -1}')).toThrow(
      'maxRequestBodyBytes must be a non-negative integer',
    );
  });

  test('defaults: the models list comes from the rules, rules share the top-level costs', () => {
    const parsed = parseExtProcConfig(`
llmRequestCosts: [{ metadataKey: t, type: TotalToken }]
rules: [{ models: [a, b], backends: [x] }, { models: [b, c], backends: [{ name: x, weight: 2 }], llmRequestCosts: [] }]
backends: [{ name: x, schema: OpenAI }]
`);
    expect(parsed.models.map((model) => model.name)).toEqual(['a', 'b', 'c']);
    expect(parsed.rules.map((rule) => rule.hasCosts)).toEqual([true, false]);
    expect(parsed.rules[1]?.backends).toEqual([{ name: 'x', weight: 2 }]);
    expect(parsed).toMatchObject({
      maxRequestBodyBytes: 4 * 1024 * 1024,
      modelNameHeaderKey: 'x-ai-eg-model',
      metadataNamespace: 'io.envoy.ai_gateway',
    });
  });

  test('reads AWS credentials from a shared credentials file profile', () => {
    const parsed = parseExtProcConfig(
      'backends: [{ name: b, schema: AWSBedrock, auth: { aws: { region: eu-west-1, credentialsFile: aws-credentials, profile: ci } } }]',
      new URL('testdata/', import.meta.url).pathname,
    );
    expect(parsed.backends.get('b')?.auth).toEqual({
      type: 'AWSSigV4',
      region: 'eu-west-1',
      service: 'bedrock',
      credentials: { accessKeyId: 'AKIDCI', secretAccessKey: 'ci-secret', sessionToken: 'ci-token' },
    });
  });
});
