// Token counts of one completion, in the units every provider reports and llmRequestCosts reads. Input counts
// include cached and cache-creation tokens (OpenAI's convention); output counts include reasoning tokens.
import type { ChatUsage } from './openai-schema.ts';

export interface TokenUsage {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly cacheCreationInputTokens: number;
  readonly outputTokens: number;
  readonly reasoningTokens: number;
  readonly totalTokens: number;
}

export interface TokenDetails {
  readonly cached?: number;
  readonly cacheCreation?: number;
  readonly reasoning?: number;
  readonly total?: number;
}

export function tokenUsage(input: number, output: number, details: TokenDetails = {}): TokenUsage {
  return {
    inputTokens: input,
    cachedInputTokens: details.cached ?? 0,
    cacheCreationInputTokens: details.cacheCreation ?? 0,
    outputTokens: output,
    reasoningTokens: details.reasoning ?? 0,
    totalTokens: details.total ?? input + output,
  };
}

/** OpenAI's usage object for these counts; the details appear only when they are not zero. */
export function chatUsage(usage: TokenUsage): ChatUsage {
  const prompt: { cached_tokens?: number; cache_creation_tokens?: number } = {};
  if (usage.cachedInputTokens > 0) prompt.cached_tokens = usage.cachedInputTokens;
  if (usage.cacheCreationInputTokens > 0) prompt.cache_creation_tokens = usage.cacheCreationInputTokens;
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    ...(Object.keys(prompt).length > 0 ? { prompt_tokens_details: prompt } : {}),
    ...(usage.reasoningTokens > 0
      ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }
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
    prompt_tokens_details?: { cached_tokens?: number; cache_creation_tokens?: number } | null;
    completion_tokens_details?: { reasoning_tokens?: number } | null;
  };
  const input = usage.prompt_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return tokenUsage(input, output, {
    cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheCreation: usage.prompt_tokens_details?.cache_creation_tokens ?? 0,
    reasoning: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    total: usage.total_tokens ?? input + output,
  });
}

/**
 * Anthropic's usage: input_tokens excludes cache reads and cache writes, which are added here (so the input count
 * means what OpenAI's prompt_tokens means).
 */
export function usageFromAnthropic(
  usage:
    | {
        input_tokens?: number;
        output_tokens?: number;
        cache_read_input_tokens?: number | null;
        cache_creation_input_tokens?: number | null;
      }
    | undefined,
): TokenUsage {
  const cached = usage?.cache_read_input_tokens ?? 0;
  const creation = usage?.cache_creation_input_tokens ?? 0;
  return tokenUsage((usage?.input_tokens ?? 0) + cached + creation, usage?.output_tokens ?? 0, {
    cached,
    cacheCreation: creation,
  });
}

/** The Anthropic usage object for these counts (cache reads and writes taken back out of input_tokens). */
export function anthropicUsage(usage: TokenUsage): Record<string, number> {
  const out: Record<string, number> = {
    input_tokens: usage.inputTokens - usage.cachedInputTokens - usage.cacheCreationInputTokens,
    output_tokens: usage.outputTokens,
  };
  if (usage.cachedInputTokens > 0) out.cache_read_input_tokens = usage.cachedInputTokens;
  if (usage.cacheCreationInputTokens > 0) out.cache_creation_input_tokens = usage.cacheCreationInputTokens;
  return out;
}
