// Building the OpenAI chat completion (non-streamed) from what a provider translator read upstream.
import type { ChatCompletion, ChatToolCall, FinishReason } from './openai-schema.ts';
import { chatUsage, type TokenUsage } from './token-usage.ts';
import type { TranslatedResponse, TranslationContext } from './translator.ts';

/** A function tool call; the upstream's input object becomes OpenAI's JSON string of arguments. */
export function functionToolCall(id: string, name: string, input: unknown): ChatToolCall {
  return { id, type: 'function', function: { name, arguments: JSON.stringify(input ?? {}) } };
}

export interface AssistantReply {
  readonly id: string;
  readonly text: string;
  readonly toolCalls: ChatToolCall[];
  readonly finishReason: FinishReason | null;
  readonly usage: TokenUsage;
}

/** One-choice chat completion; content is null when the reply is tool calls only. */
export function chatCompletionResponse(
  reply: AssistantReply,
  context: TranslationContext,
): TranslatedResponse {
  const { text, toolCalls } = reply;
  const completion: ChatCompletion = {
    id: reply.id,
    object: 'chat.completion',
    created: context.created,
    model: context.requestModel,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: reply.finishReason,
      },
    ],
    usage: chatUsage(reply.usage),
  };
  return { body: JSON.stringify(completion), usage: reply.usage };
}
