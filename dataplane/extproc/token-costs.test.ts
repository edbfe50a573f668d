import { expect, test } from 'vitest';
import { compileCosts } from './token-costs.ts';
import { tokenUsage } from './token-usage.ts';

const usage = tokenUsage(100, 20, { cached: 30, cacheCreation: 5, reasoning: 8 });

test('token counts and CEL costs over them, the model and the backend', () => {
  const costs = compileCosts([
    { metadataKey: 'in', type: 'InputToken' },
    { metadataKey: 'cached', type: 'CachedInputToken' },
    { metadataKey: 'written', type: 'CacheCreationInputToken' },
    { metadataKey: 'out', type: 'OutputToken' },
    { metadataKey: 'reasoning', type: 'ReasoningToken' },
    { metadataKey: 'total', type: 'TotalToken' },
    {
      metadataKey: 'priced',
      type: 'CEL',
      cel: "model == 'big' ? (input_tokens - cached_input_tokens) * 3u + output_tokens * 15u : total_tokens",
    },
    { metadataKey: 'per_backend', type: 'CEL', cel: "backend == 'cheap' ? 1 : 2" },
    { metadataKey: 'ratio', type: 'CEL', cel: 'double(output_tokens) / 3.0' },
    { metadataKey: 'thinking', type: 'CEL', cel: 'reasoning_tokens * 2u + cache_creation_input_tokens' },
  ]);
  expect(costs({ usage, model: 'big', backend: 'cheap' })).toEqual({
    in: 100,
    cached: 30,
    written: 5,
    out: 20,
    reasoning: 8,
    total: 120,
    priced: 70 * 3 + 20 * 15,
    per_backend: 1,
    ratio: 6,
    thinking: 21,
  });
  expect(costs({ usage, model: 'small', backend: 'other' })).toMatchObject({ priced: 120, per_backend: 2 });
});

test('a CEL cost that is negative or not a number is an error naming the key', () => {
  expect(() =>
    compileCosts([{ metadataKey: 'neg', type: 'CEL', cel: '0 - 5' }])({ usage, model: 'm', backend: 'b' }),
  ).toThrow("llmRequestCosts 'neg': CEL must give a non-negative integer");
  expect(() =>
    compileCosts([{ metadataKey: 'str', type: 'CEL', cel: "'x'" }])({ usage, model: 'm', backend: 'b' }),
  ).toThrow("llmRequestCosts 'str'");
  expect(() => compileCosts([{ metadataKey: 'bad', type: 'CEL', cel: 'input_tokens +' }])).toThrow(
    "llmRequestCosts 'bad': CEL expression does not parse",
  );
});
