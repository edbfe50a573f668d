// OpenAI chat messages as system text plus alternating user/assistant turns: the walk the Anthropic,
// Bedrock and Gemini request bodies share. Each provider says only how one block of its own looks.
import { chatMessages, messageText, parseToolArguments } from './openai-chat-request.ts';
import type { ChatContentPart, ChatMessage, ChatRequest } from './openai-schema.ts';
import { TranslationError } from './translator.ts';

export interface TurnBlocks<Block> {
  /** A run of text (a user's string content, an assistant's text). */
  text(text: string): Block;
  /** One part of a user's multi-part content. */
  part(part: ChatContentPart): Block;
  /** An assistant's tool call, its arguments parsed. */
  toolCall(id: string, name: string, input: unknown): Block;
  /** A `tool` message's result, sent in a user turn; may refuse the message. */
  toolResult(message: ChatMessage): Block;
}

export interface ChatTurn<Block> {
  role: 'user' | 'assistant';
  blocks: Block[];
}

/** System and developer messages' text, and the turns; consecutive turns of one role merge into one. */
export function chatTurns<Block>(
  request: ChatRequest,
  build: TurnBlocks<Block>,
): { system: string[]; turns: ChatTurn<Block>[] } {
  const system: string[] = [];
  const turns: ChatTurn<Block>[] = [];
  const append = (role: 'user' | 'assistant', blocks: Block[]) => {
    const last = turns.at(-1);
    // Upstreams want alternating roles: consecutive tool results (and user turns) merge into one turn.
    if (last !== undefined && last.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };
  for (const message of chatMessages(request)) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(messageText(message.content));
        break;
      case 'user':
        append(
          'user',
          typeof message.content === 'string' || message.content == null
            ? [build.text(message.content ?? '')]
            : message.content.map((part) => build.part(part)),
        );
        break;
      case 'assistant': {
        const blocks: Block[] = [];
        const text = messageText(message.content);
        if (text !== '') blocks.push(build.text(text));
        for (const call of message.tool_calls ?? []) {
          blocks.push(
            build.toolCall(call.id, call.function.name, parseToolArguments(call.function.arguments)),
          );
        }
        append('assistant', blocks);
        break;
      }
      case 'tool':
        append('user', [build.toolResult(message)]);
        break;
      default:
        throw new TranslationError(`unsupported message role '${String((message as ChatMessage).role)}'`);
    }
  }
  return { system, turns };
}

/** The `tool_call_id` of a tool message, refused (422) when missing. */
export function toolCallId(message: ChatMessage): string {
  if (typeof message.tool_call_id !== 'string') throw new TranslationError('tool message needs tool_call_id');
  return message.tool_call_id;
}
