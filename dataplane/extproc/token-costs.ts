// llmRequestCosts: which token counts (or CEL expressions over them) become dynamic metadata keys.
import { celEnv, celUint, isCelError, parse, plan } from '@bufbuild/cel';
import { LLM_REQUEST_COST_TYPES, type LLMRequestCostType } from '../../model/resources/ai-gateway.ts';
import type { TokenUsage } from './token-usage.ts';

export type CostType = LLMRequestCostType;
export const COST_TYPES: readonly CostType[] = LLM_REQUEST_COST_TYPES;

export interface LlmRequestCost {
  readonly metadataKey: string;
  readonly type: CostType;
  /**
   * For type CEL: an expression over model, backend, input_tokens, cached_input_tokens,
   * cache_creation_input_tokens, output_tokens, reasoning_tokens, total_tokens.
   */
  readonly cel?: string | undefined;
}

/** The facts a cost is computed from. */
export interface CostInput {
  readonly usage: TokenUsage;
  readonly model: string;
  readonly backend: string;
}

export type CostCalculator = (input: CostInput) => Record<string, number>;

const env = celEnv();

/** Compiles the CEL expressions once; throws naming the key when one does not parse. */
export function compileCosts(costs: readonly LlmRequestCost[]): CostCalculator {
  const parts = costs.map(costFunction);
  return (input) => {
    const values: Record<string, number> = {};
    costs.forEach((cost, i) => {
      values[cost.metadataKey] = parts[i]!(input);
    });
    return values;
  };
}

function costFunction(cost: LlmRequestCost): (input: CostInput) => number {
  if (cost.type === 'InputToken') return ({ usage }) => usage.inputTokens;
  if (cost.type === 'CachedInputToken') return ({ usage }) => usage.cachedInputTokens;
  if (cost.type === 'CacheCreationInputToken') return ({ usage }) => usage.cacheCreationInputTokens;
  if (cost.type === 'OutputToken') return ({ usage }) => usage.outputTokens;
  if (cost.type === 'ReasoningToken') return ({ usage }) => usage.reasoningTokens;
  if (cost.type === 'TotalToken') return ({ usage }) => usage.totalTokens;
  return compileCel(cost);
}

function compileCel(cost: LlmRequestCost): (input: CostInput) => number {
  let program: ReturnType<typeof plan>;
  try {
    program = plan(env, parse(cost.cel ?? ''));
  } catch (error) {
    throw new Error(
      `llmRequestCosts '${cost.metadataKey}': CEL expression does not parse: ${(error as Error).message}`,
    );
  }
  return ({ usage, model, backend }) => {
    // Token counts are CEL uints, as in Envoy AI Gateway, so `input_tokens * 3u` type-checks.
    const result = program({
      model,
      backend,
      input_tokens: celUint(BigInt(usage.inputTokens)),
      cached_input_tokens: celUint(BigInt(usage.cachedInputTokens)),
      cache_creation_input_tokens: celUint(BigInt(usage.cacheCreationInputTokens)),
      output_tokens: celUint(BigInt(usage.outputTokens)),
      reasoning_tokens: celUint(BigInt(usage.reasoningTokens)),
      total_tokens: celUint(BigInt(usage.totalTokens)),
    } as never);
    if (isCelError(result)) throw new Error(`llmRequestCosts '${cost.metadataKey}': ${result.message}`);
    const value =
      typeof result === 'bigint'
        ? Number(result)
        : typeof result === 'number'
          ? Math.trunc(result)
          : typeof result === 'object' &&
              result !== null &&
              'value' in result &&
              typeof result.value === 'bigint'
            ? Number(result.value)
            : Number.NaN;
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(
        `llmRequestCosts '${cost.metadataKey}': CEL must give a non-negative integer, got ${String(result)}`,
      );
    }
    return value;
  };
}
