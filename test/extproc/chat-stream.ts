// Folds an OpenAI SDK chat stream the way a client does: content concatenated, tool calls assembled by index,
// the last finish reason and usage kept, and the chunk ids seen.
import type OpenAI from 'openai';

export interface CollectedChat {
  readonly content: string;
  readonly finish: string | null;
  readonly usage: OpenAI.Completions.CompletionUsage | null | undefined;
  readonly calls: { id?: string; name?: string; arguments: string }[];
  readonly chunkIds: string[];
}

export async function collectChat(
  stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>,
): Promise<CollectedChat> {
  let content = '';
  let finish: string | null = null;
  let usage: OpenAI.Completions.CompletionUsage | null | undefined;
  const chunkIds = new Set<string>();
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  for await (const chunk of stream) {
    chunkIds.add(chunk.id);
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
      for (const call of choice.delta.tool_calls ?? []) {
        calls[call.index] ??= { arguments: '' };
        const slot = calls[call.index]!;
        if (call.id) slot.id = call.id;
        if (call.function?.name) slot.name = call.function.name;
        slot.arguments += call.function?.arguments ?? '';
      }
    }
  }
  return { content, finish, usage, calls, chunkIds: [...chunkIds] };
}
