// Token counts of one completion, in the units every provider reports and llmRequestCosts reads.
import type { ChatUsage } from './openai-schema.ts';

export interface TokenUsage {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
}

export function tokenUsage(input: number, output: number, cached = 0, total = input + output): TokenUsage {
  return { inputTokens: input, cachedInputTokens: cached, outputTokens: output, totalTokens: total };
}

/** OpenAI's usage object for these counts; cached tokens are reported only when there are some. */
export function chatUsage(usage: TokenUsage): ChatUsage {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    ...(usage.cachedInputTokens > 0
      ? { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } }
      : {}),
  };
}

/** Reads OpenAI's usage object (chat, completions, embeddings) when present. */
export function usageFromOpenAI(value: unknown): TokenUsage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const usage = value as {
    prompt_tokens?: number;
    completion_tokens?: number;
    total_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
  };
  const input = usage.prompt_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return tokenUsage(
    input,
    output,
    usage.prompt_tokens_details?.cached_tokens ?? 0,
    usage.total_tokens ?? input + output,
  );
}
