import { describe, expect, test } from 'vitest';
import { bedrockEmbeddingsTranslator, vertexEmbeddingsTranslator } from './embeddings-translators.ts';
import { context } from './testdata/fixtures.ts';

const location = { project: 'proj-1', region: 'us-central1' };

describe('OpenAI embeddings → Vertex AI', () => {
  const translator = vertexEmbeddingsTranslator(location);

  test('text-embedding models: predict with one instance per input and the output dimensionality', () => {
    const upstream = translator.request(
      { model: 'emb', input: ['a', 'b'], dimensions: 256, task_type: 'RETRIEVAL_QUERY' },
      context({ model: 'text-embedding-005' }),
    );
    expect(upstream.path).toBe(
      '/v1/projects/proj-1/locations/us-central1/publishers/google/models/text-embedding-005:predict',
    );
    expect(JSON.parse(upstream.body)).toEqual({
      instances: [
        { content: 'a', task_type: 'RETRIEVAL_QUERY' },
        { content: 'b', task_type: 'RETRIEVAL_QUERY' },
      ],
      parameters: { outputDimensionality: 256 },
    });
  });

  test('predictions become the OpenAI list, token counts summed; base64 when the client asked for it', () => {
    const body = Buffer.from(
      JSON.stringify({
        predictions: [
          { embeddings: { values: [0.25, -0.5], statistics: { token_count: 3, truncated: false } } },
          { embeddings: { values: [1, 2], statistics: { token_count: 4 } } },
        ],
      }),
    );
    const floats = translator.response(body, context({ requestModel: 'emb' }));
    expect(JSON.parse(floats.body)).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.25, -0.5] },
        { object: 'embedding', index: 1, embedding: [1, 2] },
      ],
      model: 'emb',
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
    expect(floats.usage).toMatchObject({ inputTokens: 7, totalTokens: 7 });
    const base64 = JSON.parse(translator.response(body, context({ encodingFormat: 'base64' })).body);
    const decoded = Buffer.from(base64.data[0].embedding, 'base64');
    expect([...new Float32Array(decoded.buffer, decoded.byteOffset, 2)]).toEqual([0.25, -0.5]);
  });

  test('gemini-embedding models use embedContent, one input per request', () => {
    const upstream = translator.request(
      { model: 'e', input: 'hello', dimensions: 768 },
      context({ model: 'gemini-embedding-2' }),
    );
    expect(upstream.path).toMatch(/models\/gemini-embedding-2:embedContent$/);
    expect(JSON.parse(upstream.body)).toEqual({
      content: { parts: [{ text: 'hello' }] },
      embedContentConfig: { outputDimensionality: 768 },
    });
    expect(() =>
      translator.request({ model: 'e', input: ['a', 'b'] }, context({ model: 'gemini-embedding-2' })),
    ).toThrow('embeds one input per request');
    const reply = translator.response(
      Buffer.from(JSON.stringify({ embedding: { values: [0.5] }, usageMetadata: { promptTokenCount: 2 } })),
      context({ requestModel: 'e' }),
    );
    expect(JSON.parse(reply.body).usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
  });

  test("token arrays are refused; Google's errors keep their status name", () => {
    expect(() => translator.request({ model: 'e', input: [1, 2, 3] }, context())).toThrow(
      'input must be a string or a list of strings',
    );
    expect(
      JSON.parse(
        translator.error(
          400,
          Buffer.from('{"error":{"code":400,"message":"bad dims","status":"INVALID_ARGUMENT"}}'),
          {},
        ),
      ),
    ).toEqual({ error: { message: 'bad dims', type: 'INVALID_ARGUMENT', param: null, code: '400' } });
  });
});

describe('OpenAI embeddings → Bedrock Titan', () => {
  const translator = bedrockEmbeddingsTranslator();

  test('one input to InvokeModel, the Titan reply as the OpenAI list', () => {
    const upstream = translator.request(
      { model: 'e', input: 'hello', dimensions: 512 },
      context({ model: 'amazon.titan-embed-text-v2:0' }),
    );
    expect(upstream).toEqual({
      path: '/model/amazon.titan-embed-text-v2%3A0/invoke',
      body: '{"inputText":"hello","dimensions":512}',
      headers: { 'content-type': 'application/json' },
    });
    expect(() => translator.request({ model: 'e', input: ['a', 'b'] }, context())).toThrow(
      'AWS Bedrock embeds one input per request (got 2)',
    );
    const reply = translator.response(
      Buffer.from(JSON.stringify({ embedding: [0.5, 0.25], inputTextTokenCount: 2 })),
      context({ requestModel: 'e' }),
    );
    expect(JSON.parse(reply.body)).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.5, 0.25] }],
      model: 'e',
      usage: { prompt_tokens: 2, total_tokens: 2 },
    });
    expect(
      JSON.parse(
        translator.error(403, Buffer.from('{"message":"denied"}'), {
          'x-amzn-errortype': 'AccessDeniedException:x',
        }),
      ),
    ).toEqual({ error: { message: 'denied', type: 'AccessDeniedException', param: null, code: '403' } });
  });
});
