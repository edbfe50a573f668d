// OpenAI chat completions ⇄ Anthropic Messages (request, response, streaming events, tool use, usage,
// errors). The message conversion is shared with the Vertex-hosted Anthropic translator.
import { ChatChunkWriter } from './chat-chunk-writer.ts';
import { chatTurns, toolCallId } from './chat-turns.ts';
import { openAIErrorBody, openAIErrorType, parseJsonObject } from './client-errors.ts';
import { maxOutputTokens, messageText, stopSequences } from './openai-chat-request.ts';
import { chatCompletionResponse, functionToolCall } from './openai-chat-response.ts';
import type { ChatContentPart, ChatRequest, ChatToolCall, FinishReason } from './openai-schema.ts';
import { SseParser } from './sse.ts';
import { type TokenUsage, tokenUsage } from './token-usage.ts';
import {
  type StreamTranslator,
  type TranslatedResponse,
  type TranslationContext,
  TranslationError,
  type Translator,
} from './translator.ts';
import { utf8 } from './utf8.ts';

export const ANTHROPIC_VERSION = '2023-06-01';
/** Anthropic requires max_tokens; OpenAI does not. */
export const DEFAULT_MAX_TOKENS = 4096;

type AnthropicBlock =
  | { type: 'text'; text: string }
  | {
      type: 'image';
      source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
    }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string };

interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

interface AnthropicResponse {
  id: string;
  model: string;
  content: { type: string; text?: string; id?: string; name?: string; input?: unknown }[];
  stop_reason: string | null;
  usage: AnthropicUsage;
}

/** The Anthropic Messages body for an OpenAI chat request (without transport details). */
export function anthropicMessagesRequest(request: ChatRequest, model: string): Record<string, unknown> {
  const { system, turns } = chatTurns<AnthropicBlock>(request, {
    text: (text) => ({ type: 'text', text }),
    part: anthropicPart,
    toolCall: (id, name, input) => ({ type: 'tool_use', id, name, input }),
    toolResult: (message) => ({
      type: 'tool_result',
      tool_use_id: toolCallId(message),
      content: messageText(message.content),
    }),
  });
  const messages: AnthropicMessage[] = turns.map((turn) => ({ role: turn.role, content: turn.blocks }));
  const body: Record<string, unknown> = {
    model,
    messages,
    max_tokens: maxOutputTokens(request) ?? DEFAULT_MAX_TOKENS,
  };
  if (system.length > 0) body.system = system.join('\n');
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.top_p !== undefined) body.top_p = request.top_p;
  if (request.stop !== undefined) body.stop_sequences = stopSequences(request);
  if (request.stream === true) body.stream = true;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    }));
    const choice = anthropicToolChoice(request);
    if (choice !== undefined) body.tool_choice = choice;
  }
  if (typeof request.user === 'string') body.metadata = { user_id: request.user };
  return body;
}

function anthropicToolChoice(request: ChatRequest): Record<string, unknown> | undefined {
  const choice = request.tool_choice;
  const parallel = request.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined)
    return request.parallel_tool_calls === false ? { type: 'auto', ...parallel } : undefined;
  if (choice === 'auto') return { type: 'auto', ...parallel };
  if (choice === 'required') return { type: 'any', ...parallel };
  if (choice === 'none') return { type: 'none' };
  return { type: 'tool', name: choice.function.name, ...parallel };
}

function anthropicPart(part: ChatContentPart): AnthropicBlock {
  if (part.type === 'text') return { type: 'text', text: part.text };
  if (part.type === 'image_url') {
    const data = /^data:([^;]+);base64,(.*)$/s.exec(part.image_url.url);
    return data === null
      ? { type: 'image', source: { type: 'url', url: part.image_url.url } }
      : { type: 'image', source: { type: 'base64', media_type: data[1]!, data: data[2]! } };
  }
  throw new TranslationError(`unsupported content part type '${(part as { type: string }).type}'`);
}

export function finishReasonFromAnthropic(reason: string | null | undefined): FinishReason | null {
  switch (reason) {
    case undefined:
    case null:
      return null;
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export function usageFromAnthropic(usage: AnthropicUsage | undefined): TokenUsage {
  const cached = usage?.cache_read_input_tokens ?? 0;
  // Anthropic's input_tokens excludes cached and cache-creation tokens; OpenAI's prompt_tokens includes them.
  const input = (usage?.input_tokens ?? 0) + cached + (usage?.cache_creation_input_tokens ?? 0);
  return tokenUsage(input, usage?.output_tokens ?? 0, cached);
}

/** An Anthropic Messages response as an OpenAI chat completion. */
export function chatCompletionFromAnthropic(
  body: Uint8Array,
  context: TranslationContext,
): TranslatedResponse {
  const message = parseJsonObject(body) as AnthropicResponse | undefined;
  if (message === undefined || !Array.isArray(message.content)) {
    throw new TranslationError('upstream answered with a body that is not an Anthropic message');
  }
  let text = '';
  const toolCalls: ChatToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') text += block.text ?? '';
    else if (block.type === 'tool_use') {
      toolCalls.push(functionToolCall(block.id ?? `call_${toolCalls.length}`, block.name ?? '', block.input));
    }
  }
  return chatCompletionResponse(
    {
      id: message.id ?? context.requestId,
      text,
      toolCalls,
      finishReason: finishReasonFromAnthropic(message.stop_reason),
      usage: usageFromAnthropic(message.usage),
    },
    context,
  );
}

/** Anthropic's streaming events (`message_start`, `content_block_delta`, …) as OpenAI chunks. */
export class AnthropicChatStream implements StreamTranslator {
  readonly #out: ChatChunkWriter;
  readonly #parser = new SseParser();
  /** Anthropic content-block index → OpenAI tool_calls index. */
  readonly #toolIndex = new Map<number, number>();
  #input: AnthropicUsage = {};
  #outputTokens = 0;
  #seenUsage = false;

  constructor(context: TranslationContext) {
    this.#out = new ChatChunkWriter(context);
  }

  push(chunk: Uint8Array): string {
    let out = '';
    for (const event of this.#parser.push(chunk)) out += this.#translate(event.data);
    return out;
  }

  end(): string {
    let out = '';
    for (const event of this.#parser.end()) out += this.#translate(event.data);
    return out + this.#out.finish(this.usage());
  }

  usage(): TokenUsage | undefined {
    return this.#seenUsage
      ? usageFromAnthropic({ ...this.#input, output_tokens: this.#outputTokens })
      : undefined;
  }

  #translate(data: string): string {
    const event = parseJsonObject(data);
    if (event === undefined) return '';
    switch (event.type as string) {
      case 'message_start': {
        const message = event.message as { id?: string; usage?: AnthropicUsage };
        this.#out.id = message.id ?? this.#out.id;
        this.#input = message.usage ?? {};
        this.#outputTokens = message.usage?.output_tokens ?? 0;
        this.#seenUsage = true;
        return this.#out.chunk({ role: 'assistant', content: '' }, null);
      }
      case 'content_block_start': {
        const block = event.content_block as { type: string; id?: string; name?: string; text?: string };
        if (block.type === 'tool_use') {
          const index = this.#toolIndex.size;
          this.#toolIndex.set(event.index as number, index);
          return this.#out.toolCallStart(index, block.id, block.name);
        }
        return block.type === 'text' && block.text ? this.#out.chunk({ content: block.text }, null) : '';
      }
      case 'content_block_delta': {
        const delta = event.delta as { type: string; text?: string; partial_json?: string };
        if (delta.type === 'text_delta') return this.#out.chunk({ content: delta.text ?? '' }, null);
        if (delta.type === 'input_json_delta') {
          const index = this.#toolIndex.get(event.index as number) ?? 0;
          return this.#out.toolCallArguments(index, delta.partial_json ?? '');
        }
        return '';
      }
      case 'message_delta': {
        const usage = event.usage as AnthropicUsage | undefined;
        if (usage?.output_tokens !== undefined) this.#outputTokens = usage.output_tokens;
        if (usage?.input_tokens !== undefined)
          this.#input = { ...this.#input, ...usage, output_tokens: undefined };
        this.#seenUsage = true;
        const reason = (event.delta as { stop_reason?: string } | undefined)?.stop_reason;
        return this.#out.chunk({}, finishReasonFromAnthropic(reason) ?? 'stop');
      }
      case 'message_stop':
        return this.#out.finish(this.usage());
      case 'error': {
        const error = event.error as { type?: string; message?: string } | undefined;
        return this.#out.error(error?.message ?? 'upstream error', error?.type ?? 'server_error');
      }
      default:
        return '';
    }
  }
}

/** An Anthropic error body (`{"type":"error","error":{…}}`) in OpenAI's error shape. */
export function openAIErrorFromAnthropic(status: number, body: Uint8Array): string {
  const parsed = parseJsonObject(body) as { error?: { type?: string; message?: string } } | undefined;
  const message = parsed?.error?.message ?? (utf8(body) || `upstream status ${status}`);
  return openAIErrorBody(message, parsed?.error?.type ?? openAIErrorType(status));
}

/** Anthropic's own API (`/v1/messages`, `x-api-key` set by backend auth). */
export function anthropicTranslator(): Translator {
  return {
    rewritesResponse: true,
    request: (body, context) => ({
      path: '/v1/messages',
      body: JSON.stringify(anthropicMessagesRequest(body as ChatRequest, context.model)),
      headers: { 'anthropic-version': ANTHROPIC_VERSION, 'content-type': 'application/json' },
    }),
    response: chatCompletionFromAnthropic,
    stream: (context) => new AnthropicChatStream(context),
    error: openAIErrorFromAnthropic,
  };
}
