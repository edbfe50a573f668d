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
    expect(() => parseExtProcConfig('backends: [{ name: b, schema: Cohere2 }]')).toThrow(
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
    expect(parsed.rules[1]?.backends).toEqual([{ name: 'x', weight: 2, priority: 0 }]);
    expect(parsed.rules.map((rule) => rule.fallback)).toEqual([false, false]);
    expect(parsed).toMatchObject({
      maxRequestBodyBytes: 4 * 1024 * 1024,
      modelNameHeaderKey: 'x-ai-eg-model',
      metadataNamespace: 'io.envoy.ai_gateway',
    });
  });

  test('backends at several priorities make a fallback rule; schema versions and prefixes default per schema', () => {
    const parsed = parseExtProcConfig(`
rules: [{ models: [m], backends: [{ name: a, priority: 0 }, { name: b, priority: 1, weight: 3 }] }]
backends:
  - { name: a, schema: { name: AWSAnthropic } }
  - { name: b, schema: { name: OpenAI, prefix: /compatibility/v1 } }
  - { name: c, schema: GCPAnthropic, gcp: { projectName: p, region: r } }
`);
    expect(parsed.rules[0]?.fallback).toBe(true);
    expect(parsed.backends.get('a')).toMatchObject({ schema: 'AWSAnthropic', version: 'bedrock-2023-05-31' });
    expect(parsed.backends.get('b')).toMatchObject({ prefix: '/compatibility/v1', version: undefined });
    expect(parsed.backends.get('c')).toMatchObject({
      version: 'vertex-2023-10-16',
      vertex: { project: 'p', region: 'r' },
    });
  });

  test('a refused backendRef (no ReferenceGrant) names why and is not one of the backends; fallback rules have none', () => {
    const parsed = parseExtProcConfig(`
rules: [{ models: [m], backends: [{ name: a, weight: 3 }, { name: ns/r/rule/0/ref/1, refused: no grant }] }]
backends: [{ name: a, schema: OpenAI }]
`);
    expect(parsed.rules[0]?.backends).toEqual([
      { name: 'a', weight: 3, priority: 0 },
      { name: 'ns/r/rule/0/ref/1', weight: 1, priority: 0, refused: 'no grant' },
    ]);
    expect(() =>
      parseExtProcConfig(`
rules: [{ models: [m], backends: [{ name: a }, { name: x, priority: 1, refused: no grant }] }]
backends: [{ name: a, schema: OpenAI }]
`),
    ).toThrow("rules[0].backends: a fallback rule's backends cannot be refused (leave them out)");
  });

  test('mutations may not touch pseudo-headers or the gateway’s own headers; body values are JSON text', () => {
    expect(() =>
      parseExtProcConfig(
        'backends: [{ name: b, schema: OpenAI, headerMutation: { set: [{ name: x-ai-eg-model, value: v }] } }]',
      ),
    ).toThrow(
      "backends[0].headerMutation.set[0].name 'x-ai-eg-model': pseudo-headers and x-ai-eg-* headers cannot be mutated",
    );
    expect(() =>
      parseExtProcConfig(
        'backends: [{ name: b, schema: OpenAI, bodyMutation: { set: [{ path: n, value: 3 }] } }]',
      ),
    ).toThrow('backends[0].bodyMutation.set[0].value must be a string (JSON text)');
  });

  test('per-request credentials: the configured one may be left out when there is no fallback to it', () => {
    const parsed = parseExtProcConfig(`
backends:
  - { name: a, schema: AWSBedrock, auth: { aws: { region: us-east-1 }, override: {} } }
  - { name: b, schema: Anthropic, auth: { anthropicAPIKey: {}, override: { metadata: { namespace: ns, key: k } } } }
  - { name: c, schema: Anthropic, auth: { unavailable: "Secret ai/x not found" } }
`);
    expect(parsed.backends.get('a')?.auth).toEqual({
      type: 'AWSSigV4',
      region: 'us-east-1',
      service: 'bedrock',
      override: { header: 'x-aigw-aws-', fallbackToConfigured: false },
    });
    expect(parsed.backends.get('b')?.auth).toEqual({
      type: 'AnthropicAPIKey',
      override: { metadata: { namespace: 'ns', key: 'k' }, fallbackToConfigured: false },
    });
    expect(parsed.backends.get('c')?.auth).toEqual({ type: 'Unavailable', reason: 'Secret ai/x not found' });
    expect(() =>
      parseExtProcConfig(
        'backends: [{ name: b, schema: OpenAI, auth: { apiKey: {}, override: { fallbackToConfigured: true } } }]',
      ),
    ).toThrow('backends[0].auth.apiKey needs key or keyFile');
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
