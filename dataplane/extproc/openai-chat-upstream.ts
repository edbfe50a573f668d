// An OpenAI-compatible chat completions API (OpenAI, Azure OpenAI) as an upstream for Anthropic Messages
// clients: the body from a Conversation (tool results become tool messages, streams ask for the usage chunk),
// the completion read back into a Reply, `chat.completion.chunk` events read into a ReplySink.
import { parseJsonObject } from './client-errors.ts';
import {
  blocksText,
  type ContentBlock,
  type Conversation,
  mediaUrl,
  reasoningBlock,
} from './conversation.ts';
import { toolArguments } from './openai-chat-reader.ts';
import type { ChatContentPart, ChatMessage, ChatToolCall } from './openai-schema.ts';
import { type Reply, type ReplyBlock, type ReplySink, stopFromOpenAI, type UpstreamError } from './reply.ts';
import { SseParser } from './sse.ts';
import { usageFromOpenAI } from './token-usage.ts';
import { TranslationError } from './translator.ts';
import { utf8 } from './utf8.ts';

type Json = Record<string, unknown>;

export function chatRequestBody(conversation: Conversation, model: string): Json {
  const messages: ChatMessage[] = [];
  if (conversation.system.length > 0)
    messages.push({ role: 'system', content: blocksText(conversation.system) });
  for (const turn of conversation.turns) {
    if (turn.role === 'user') appendUser(messages, turn.content);
    else messages.push(assistantMessage(turn.content));
  }
  const body: Json = { model, messages };
  if (conversation.maxTokens !== undefined) body.max_completion_tokens = conversation.maxTokens;
  if (conversation.temperature !== undefined) body.temperature = conversation.temperature;
  if (conversation.topP !== undefined) body.top_p = conversation.topP;
  if (conversation.stop !== undefined) body.stop = conversation.stop;
  if (conversation.stream) {
    body.stream = true;
    // Usage arrives only in the final chunk, and only when asked for.
    body.stream_options = { include_usage: true };
  }
  if (conversation.tools.length > 0) {
    body.tools = conversation.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parameters: tool.parameters,
      },
    }));
    const choice = conversation.toolChoice;
    if (choice?.type === 'auto') body.tool_choice = 'auto';
    else if (choice?.type === 'any') body.tool_choice = 'required';
    else if (choice?.type === 'none') body.tool_choice = 'none';
    else if (choice?.type === 'tool')
      body.tool_choice = { type: 'function', function: { name: choice.name } };
    if (conversation.parallelToolCalls === false) body.parallel_tool_calls = false;
  }
  if (conversation.thinking !== undefined) {
    body.thinking =
      conversation.thinking.type === 'enabled'
        ? { type: 'enabled', budget_tokens: conversation.thinking.budgetTokens }
        : { type: conversation.thinking.type };
  }
  if (conversation.reasoningEffort !== undefined) body.reasoning_effort = conversation.reasoningEffort;
  if (conversation.user !== undefined) body.user = conversation.user;
  return body;
}

/** A user turn: its tool results first (as tool messages, answering the previous assistant turn), then the rest. */
function appendUser(messages: ChatMessage[], blocks: readonly ContentBlock[]): void {
  const rest: ContentBlock[] = [];
  for (const block of blocks) {
    if (block.type === 'tool_result')
      messages.push({ role: 'tool', tool_call_id: block.toolUseId, content: blocksText(block.content) });
    else rest.push(block);
  }
  if (rest.length === 0) return;
  if (rest.every((block) => block.type === 'text')) {
    messages.push({ role: 'user', content: blocksText(rest) });
    return;
  }
  const parts: ChatContentPart[] = rest.map((block) => {
    if (block.type === 'text') return { type: 'text', text: block.text };
    if (block.type === 'image' || block.type === 'document')
      return { type: 'image_url', image_url: { url: mediaUrl(block.source) } };
    throw new TranslationError(`user blocks of type '${block.type}' cannot be sent to an OpenAI backend`);
  });
  messages.push({ role: 'user', content: parts });
}

/** Thinking blocks are left out: OpenAI's chat API takes no reasoning back. */
function assistantMessage(blocks: readonly ContentBlock[]): ChatMessage {
  const calls: ChatToolCall[] = [];
  for (const block of blocks) {
    if (block.type === 'tool_use')
      calls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
  }
  const text = blocksText(blocks);
  return {
    role: 'assistant',
    ...(text === '' && calls.length > 0 ? { content: null } : { content: text }),
    ...(calls.length > 0 ? { tool_calls: calls } : {}),
  };
}

/** A message's reasoning: thinking_blocks (with signatures) when given, else the reasoning_content string. */
function reasoningBlocks(message: Json): ReplyBlock[] {
  const blocks: ReplyBlock[] = [];
  if (Array.isArray(message.thinking_blocks)) {
    for (const block of message.thinking_blocks as Json[]) {
      const reasoning = reasoningBlock(block);
      if (reasoning !== undefined) blocks.push(reasoning);
    }
    if (blocks.length > 0) return blocks;
  }
  if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '')
    blocks.push({ type: 'thinking', thinking: message.reasoning_content });
  return blocks;
}

export function replyFromChatCompletion(body: Uint8Array, requestId: string): Reply {
  const completion = parseJsonObject(body) as
    | { id?: string; choices?: { message?: Json; finish_reason?: string | null }[]; usage?: unknown }
    | undefined;
  if (completion === undefined || !Array.isArray(completion.choices))
    throw new TranslationError('upstream answered with a body that is not a chat completion');
  const choice = completion.choices[0];
  const message = choice?.message ?? {};
  const blocks = reasoningBlocks(message);
  if (typeof message.content === 'string' && message.content !== '')
    blocks.push({ type: 'text', text: message.content });
  for (const call of (message.tool_calls as ChatToolCall[] | undefined) ?? []) {
    let input: unknown = {};
    try {
      input = toolArguments(call.function?.arguments);
    } catch {
      // a truncated arguments string (max_tokens hit mid-call) is passed on as no arguments
    }
    blocks.push({ type: 'tool_use', id: call.id ?? '', name: call.function?.name ?? '', input });
  }
  return {
    id: completion.id ?? requestId,
    blocks,
    stop: stopFromOpenAI(choice?.finish_reason),
    usage: usageFromOpenAI(completion.usage) ?? usageFromOpenAI({})!,
  };
}

/** `chat.completion.chunk` server-sent events into a sink; tool calls keyed by their OpenAI index. */
export class ChatChunkReader {
  readonly #sink: ReplySink;
  readonly #parser = new SseParser();
  readonly #tools = new Set<number>();

  constructor(sink: ReplySink) {
    this.#sink = sink;
  }

  push(chunk: Uint8Array): void {
    for (const event of this.#parser.push(chunk)) this.#event(event.data);
  }

  end(): void {
    for (const event of this.#parser.end()) this.#event(event.data);
  }

  #event(data: string): void {
    if (data === '[DONE]') return;
    const chunk = parseJsonObject(data);
    if (chunk === undefined) return;
    const sink = this.#sink;
    if (chunk.error !== undefined && typeof chunk.error === 'object') {
      const error = chunk.error as { type?: string; message?: string };
      sink.error({ type: error.type ?? 'server_error', message: error.message ?? 'upstream error' });
      return;
    }
    const usage = usageFromOpenAI(chunk.usage);
    if (usage !== undefined) sink.usage(usage);
    const choices = chunk.choices as { delta?: Json; finish_reason?: string | null }[] | undefined;
    const choice = choices?.[0];
    if (choice === undefined) return;
    sink.start(typeof chunk.id === 'string' ? chunk.id : undefined);
    const delta = choice.delta ?? {};
    if (typeof delta.reasoning_content === 'string') sink.thinking(delta.reasoning_content);
    for (const block of (delta.thinking_blocks as Json[] | undefined) ?? []) {
      if (typeof block.thinking === 'string') sink.thinking(block.thinking);
      if (typeof block.signature === 'string') sink.thinkingSignature(block.signature);
      if (block.type === 'redacted_thinking' && typeof block.data === 'string')
        sink.redactedThinking(block.data);
    }
    if (typeof delta.content === 'string') sink.text(delta.content);
    for (const call of (delta.tool_calls as { index?: number; id?: string; function?: Json }[] | undefined) ??
      []) {
      const index = call.index ?? 0;
      if (!this.#tools.has(index)) {
        this.#tools.add(index);
        sink.toolStart(index, call.id ?? '', String(call.function?.name ?? ''));
      }
      const fragment = call.function?.arguments;
      if (typeof fragment === 'string') sink.toolArguments(index, fragment);
    }
    const stop = stopFromOpenAI(choice.finish_reason);
    if (stop !== null) sink.stop(stop);
  }
}

/** OpenAI errors are `{"error":{"message","type","code"}}`. */
export function openAIUpstreamError(status: number, body: Uint8Array): UpstreamError {
  const parsed = parseJsonObject(body) as { error?: { type?: string; message?: string } } | undefined;
  if (parsed?.error !== undefined && typeof parsed.error === 'object') {
    return {
      ...(typeof parsed.error.type === 'string' ? { type: parsed.error.type } : {}),
      message: parsed.error.message ?? `upstream status ${status}`,
    };
  }
  return { message: utf8(body) || `upstream status ${status}` };
}
