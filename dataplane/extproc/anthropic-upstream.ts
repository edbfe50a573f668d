// Anthropic's Messages API as an upstream for translated clients (OpenAI chat clients on Anthropic, GCP
// Anthropic and AWS Anthropic backends): the request body from a Conversation, the reply read back, streaming
// events read into a ReplySink, errors read into their type and message.
import { parseJsonObject } from './client-errors.ts';
import {
  type CacheControl,
  type ContentBlock,
  type Conversation,
  type MediaSource,
  reasoningBlock,
  type TextBlock,
} from './conversation.ts';
import type { Reply, ReplyBlock, ReplySink, StopReason, UpstreamError } from './reply.ts';
import { usageFromAnthropic } from './token-usage.ts';
import { TranslationError } from './translator.ts';
import { utf8 } from './utf8.ts';

export const ANTHROPIC_VERSION = '2023-06-01';
/** Anthropic requires max_tokens; OpenAI does not. */
export const DEFAULT_MAX_TOKENS = 4096;

type Json = Record<string, unknown>;

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/**
 * The Anthropic Messages body (without transport details; `model` only when given: Vertex and Bedrock carry
 * it in the path). The system prompt is sent as text blocks, so each keeps its cache_control.
 */
export function anthropicRequestBody(conversation: Conversation, model: string | undefined): Json {
  const body: Json = {};
  if (model !== undefined) body.model = model;
  body.messages = conversation.turns.map((turn) => ({
    role: turn.role,
    content: turn.content.flatMap(anthropicBlock),
  }));
  if (conversation.system.length > 0) body.system = conversation.system.flatMap(anthropicBlock);
  body.max_tokens = conversation.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (conversation.temperature !== undefined) body.temperature = conversation.temperature;
  if (conversation.topP !== undefined) body.top_p = conversation.topP;
  if (conversation.topK !== undefined) body.top_k = conversation.topK;
  if (conversation.stop !== undefined) body.stop_sequences = conversation.stop;
  if (conversation.stream) body.stream = true;
  if (conversation.tools.length > 0) {
    body.tools = conversation.tools.map((tool) =>
      withCache(
        {
          name: tool.name,
          ...(tool.description === undefined ? {} : { description: tool.description }),
          input_schema: tool.parameters,
          ...(tool.strict === true ? { strict: true } : {}),
        },
        tool.cache,
      ),
    );
    const choice = anthropicToolChoice(conversation);
    if (choice !== undefined) body.tool_choice = choice;
  }
  if (conversation.thinking !== undefined) {
    body.thinking =
      conversation.thinking.type === 'enabled'
        ? { type: 'enabled', budget_tokens: conversation.thinking.budgetTokens }
        : { type: conversation.thinking.type };
  }
  if (conversation.user !== undefined) body.metadata = { user_id: conversation.user };
  return body;
}

function withCache(block: Json, cache: CacheControl | undefined): Json {
  return cache === undefined ? block : { ...block, cache_control: cache };
}

function anthropicSource(source: MediaSource, pdf: boolean): Json {
  if (source.kind === 'url') return { type: 'url', url: source.url };
  return { type: 'base64', media_type: pdf ? 'application/pdf' : source.mediaType, data: source.data };
}

/** One block in Anthropic's shape; thinking without a signature cannot be sent back, so it is dropped. */
function anthropicBlock(block: ContentBlock | TextBlock): Json[] {
  switch (block.type) {
    case 'text':
      return [withCache({ type: 'text', text: block.text }, block.cache)];
    case 'image':
      return [withCache({ type: 'image', source: anthropicSource(block.source, false) }, block.cache)];
    case 'document':
      return [withCache({ type: 'document', source: anthropicSource(block.source, true) }, block.cache)];
    case 'tool_use':
      return [
        withCache(
          { type: 'tool_use', id: block.id, name: block.name, input: block.input ?? {} },
          block.cache,
        ),
      ];
    case 'tool_result':
      return [
        withCache(
          {
            type: 'tool_result',
            tool_use_id: block.toolUseId,
            ...(block.content.length > 0 ? { content: block.content.flatMap(anthropicBlock) } : {}),
            ...(block.isError ? { is_error: true } : {}),
          },
          block.cache,
        ),
      ];
    case 'thinking':
      return block.signature === undefined
        ? []
        : [{ type: 'thinking', thinking: block.thinking, signature: block.signature }];
    case 'redacted_thinking':
      return [{ type: 'redacted_thinking', data: block.data }];
  }
}

function anthropicToolChoice(conversation: Conversation): Json | undefined {
  const parallel = conversation.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  const choice = conversation.toolChoice;
  if (choice === undefined)
    return conversation.parallelToolCalls === false ? { type: 'auto', ...parallel } : undefined;
  if (choice.type === 'none') return { type: 'none' };
  if (choice.type === 'tool') return { type: 'tool', name: choice.name, ...parallel };
  return { type: choice.type, ...parallel };
}

const STOP_REASONS = new Set([
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
]);

export function stopFromAnthropic(reason: unknown): StopReason | null {
  if (reason === null || reason === undefined) return null;
  return STOP_REASONS.has(String(reason)) ? (reason as StopReason) : 'end_turn';
}

/** An Anthropic message (the reply of Anthropic, GCP Anthropic and AWS Anthropic). */
export function replyFromAnthropic(body: Uint8Array, requestId: string): Reply {
  const message = parseJsonObject(body) as
    | { id?: string; content?: Json[]; stop_reason?: string | null; usage?: AnthropicUsage }
    | undefined;
  if (message === undefined || !Array.isArray(message.content))
    throw new TranslationError('upstream answered with a body that is not an Anthropic message');
  const blocks: ReplyBlock[] = [];
  for (const block of message.content) {
    if (block.type === 'text') blocks.push({ type: 'text', text: String(block.text ?? '') });
    else if (block.type === 'tool_use')
      blocks.push({
        type: 'tool_use',
        id: String(block.id ?? ''),
        name: String(block.name ?? ''),
        input: block.input,
      });
    else {
      const reasoning = reasoningBlock(block);
      if (reasoning !== undefined) blocks.push(reasoning);
    }
  }
  return {
    id: message.id ?? requestId,
    blocks,
    stop: stopFromAnthropic(message.stop_reason),
    usage: usageFromAnthropic(message.usage),
  };
}

/** Anthropic's streaming events (already parsed) pushed into a sink; the usage is folded across events. */
export class AnthropicEventReader {
  readonly #sink: ReplySink;
  #usage: AnthropicUsage = {};

  constructor(sink: ReplySink) {
    this.#sink = sink;
  }

  event(event: Json): void {
    const sink = this.#sink;
    switch (event.type) {
      case 'message_start': {
        const message = (event.message ?? {}) as { id?: string; usage?: AnthropicUsage };
        this.#usage = { ...message.usage };
        sink.usage(usageFromAnthropic(this.#usage));
        sink.start(message.id);
        return;
      }
      case 'content_block_start': {
        const index = Number(event.index ?? 0);
        const block = (event.content_block ?? {}) as Json;
        if (block.type === 'text') sink.text(String(block.text ?? ''));
        else if (block.type === 'tool_use')
          sink.toolStart(index, String(block.id ?? ''), String(block.name ?? ''));
        else if (block.type === 'thinking') sink.thinking(String(block.thinking ?? ''));
        else if (block.type === 'redacted_thinking') sink.redactedThinking(String(block.data ?? ''));
        return;
      }
      case 'content_block_delta': {
        const delta = (event.delta ?? {}) as Json;
        if (delta.type === 'text_delta') sink.text(String(delta.text ?? ''));
        else if (delta.type === 'input_json_delta')
          sink.toolArguments(Number(event.index ?? 0), String(delta.partial_json ?? ''));
        else if (delta.type === 'thinking_delta') sink.thinking(String(delta.thinking ?? ''));
        else if (delta.type === 'signature_delta') sink.thinkingSignature(String(delta.signature ?? ''));
        return;
      }
      case 'message_delta': {
        const usage = event.usage as AnthropicUsage | undefined;
        if (usage !== undefined) {
          for (const [key, value] of Object.entries(usage))
            if (value !== null) (this.#usage as Json)[key] = value;
          sink.usage(usageFromAnthropic(this.#usage));
        }
        const reason = stopFromAnthropic((event.delta as Json | undefined)?.stop_reason);
        if (reason !== null) sink.stop(reason);
        return;
      }
      case 'error': {
        const error = (event.error ?? {}) as { type?: string; message?: string };
        sink.error({ type: error.type ?? 'api_error', message: error.message ?? 'upstream error' });
        return;
      }
      default:
        return;
    }
  }
}

/** Anthropic errors are `{"type":"error","error":{"type","message"}}`; anything else keeps its text. */
export function anthropicUpstreamError(status: number, body: Uint8Array): UpstreamError {
  const parsed = parseJsonObject(body) as { error?: { type?: string; message?: string } } | undefined;
  if (parsed?.error !== undefined && typeof parsed.error === 'object') {
    return {
      ...(parsed.error.type === undefined ? {} : { type: parsed.error.type }),
      message: parsed.error.message ?? `upstream status ${status}`,
    };
  }
  return { message: utf8(body) || `upstream status ${status}` };
}
