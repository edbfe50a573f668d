import { expect, test } from 'vitest';
import { cohereRerankTranslator } from './cohere-translator.ts';
import { context } from './testdata/fixtures.ts';

const body = { model: 'rerank-client', query: 'capital of France?', documents: ['Paris', 'Lyon'], top_n: 1 };

test('rerank passes through to /<version>/rerank with the model overridden, read for usage from meta.tokens', () => {
  const translator = cohereRerankTranslator('v2');
  expect(translator.request(body, context({ model: 'rerank-v3.5' }))).toEqual({
    path: '/v2/rerank',
    body: JSON.stringify({ ...body, model: 'rerank-v3.5' }),
    headers: {},
  });
  expect(translator.rewritesResponse).toBe(false);
  const answer = Buffer.from(
    JSON.stringify({
      id: 'r-1',
      results: [{ index: 0, relevance_score: 0.98 }],
      meta: { billed_units: { search_units: 1 }, tokens: { input_tokens: 27, output_tokens: 0 } },
    }),
  );
  expect(translator.response(answer, context()).usage).toMatchObject({
    inputTokens: 27,
    outputTokens: 0,
    totalTokens: 27,
  });
  expect(translator.response(Buffer.from('{"results":[]}'), context()).usage).toBeUndefined();
  expect(() => translator.request({ ...body, stream: true }, context())).toThrow('rerank is not streamed');
});

test("Cohere's errors pass through; a body that is not Cohere's becomes its {message}", () => {
  const translator = cohereRerankTranslator('v2');
  const cohere = '{"id":"e-1","message":"invalid request: documents must not be empty"}';
  expect(translator.error(400, Buffer.from(cohere), {})).toBe(cohere);
  expect(JSON.parse(translator.error(502, Buffer.from('<html>bad gateway</html>'), {}))).toEqual({
    message: '<html>bad gateway</html>',
  });
  expect(JSON.parse(translator.error(503, Buffer.from(''), {}))).toEqual({ message: 'upstream status 503' });
});
