// Loads the fixtures beside this file and reads client-side SSE output back into chunks (tests only).
import { readFileSync } from 'node:fs';
import type { ChatCompletionChunk } from '../openai-schema.ts';
import type { TranslationContext } from '../translator.ts';

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as T;
}

/** 2026-01-01T00:00:00Z */
export const FIXED_TIME = 1767225600000;

export function context(overrides: Partial<TranslationContext> = {}): TranslationContext {
  return {
    model: 'upstream-model',
    requestModel: 'gpt-client',
    stream: false,
    created: FIXED_TIME / 1000,
    requestId: 'req-1',
    includeUsage: false,
    ...overrides,
  };
}

/** The `data:` payloads of an SSE text, `[DONE]` kept as a string. */
export function sseDataOf(text: string): (ChatCompletionChunk | string | Record<string, unknown>)[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => {
      const data = block.slice(6);
      return data === '[DONE]' ? data : (JSON.parse(data) as ChatCompletionChunk);
    });
}

/** Folds chunks the way an OpenAI client does: content concatenated, tool calls assembled by index. */
export function assembleChunks(items: ReturnType<typeof sseDataOf>) {
  let content = '';
  let finish: string | null = null;
  let usage: unknown;
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  for (const item of items) {
    if (typeof item === 'string') continue;
    const chunk = item as ChatCompletionChunk;
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      content += choice.delta.content ?? '';
      if (choice.finish_reason) finish = choice.finish_reason;
      for (const call of choice.delta.tool_calls ?? []) {
        calls[call.index] ??= { arguments: '' };
        const slot = calls[call.index]!;
        if (call.id) slot.id = call.id;
        if (call.function.name) slot.name = call.function.name;
        slot.arguments += call.function.arguments;
      }
    }
  }
  return { content, finish, usage, calls };
}
