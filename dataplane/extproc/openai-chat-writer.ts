// Writing a Reply for an OpenAI chat completions client: the whole `chat.completion`, or the stream of
// `chat.completion.chunk` events (with the usage chunk when asked for, then `[DONE]`). Reasoning goes to
// `reasoning_content` (a string) and, with its signatures, to `thinking_blocks` (the LiteLLM convention).
import { openAIErrorBody, openAIErrorType } from './client-errors.ts';
import type {
  ChatChunkDelta,
  ChatCompletion,
  ChatCompletionChunk,
  ChatToolCall,
  FinishReason,
  ThinkingBlock,
} from './openai-schema.ts';
import {
  openAIFinishReason,
  type Reply,
  type ReplySink,
  type StopReason,
  type UpstreamError,
} from './reply.ts';
import { SSE_DONE, sseData } from './sse.ts';
import { chatUsage, type TokenUsage } from './token-usage.ts';
import type { TranslationContext } from './translator.ts';

/** A function tool call; the upstream's input object becomes OpenAI's JSON string of arguments. */
export function functionToolCall(id: string, name: string, input: unknown): ChatToolCall {
  return { id, type: 'function', function: { name, arguments: JSON.stringify(input ?? {}) } };
}

/** One-choice chat completion; content is null when the reply is tool calls only. */
export function chatCompletionBody(reply: Reply, context: TranslationContext): string {
  let text = '';
  let reasoning = '';
  const thinkingBlocks: ThinkingBlock[] = [];
  const toolCalls: ChatToolCall[] = [];
  for (const block of reply.blocks) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use') toolCalls.push(functionToolCall(block.id, block.name, block.input));
    else if (block.type === 'thinking') {
      reasoning += block.thinking;
      // Only a signature needs the block form: plain reasoning is all in reasoning_content.
      if (block.signature !== undefined)
        thinkingBlocks.push({ type: 'thinking', thinking: block.thinking, signature: block.signature });
    } else thinkingBlocks.push({ type: 'redacted_thinking', data: block.data });
  }
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
          ...(reasoning === '' ? {} : { reasoning_content: reasoning }),
          ...(thinkingBlocks.length > 0 ? { thinking_blocks: thinkingBlocks } : {}),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: reply.stop === null ? null : openAIFinishReason(reply.stop),
      },
    ],
    usage: chatUsage(reply.usage),
  };
  return JSON.stringify(completion);
}

/** An upstream error as OpenAI's error object; the upstream's type is kept, the status goes in `code`. */
export function openAIErrorFromUpstream(status: number, error: UpstreamError): string {
  return openAIErrorBody(error.message, error.type ?? openAIErrorType(status), String(status));
}

/** The client's OpenAI chat stream, written from reply events. */
export class ChatChunkWriter implements ReplySink {
  readonly #context: TranslationContext;
  /** The chunks' id: the request id unless the upstream names its message. */
  #id: string;
  #idFixed = false;
  #out = '';
  #started = false;
  #finished = false;
  #usage: TokenUsage | undefined;
  /** Upstream tool key → OpenAI tool_calls index. */
  readonly #tools = new Map<number, number>();

  constructor(context: TranslationContext) {
    this.#context = context;
    this.#id = context.requestId;
  }

  get lastUsage(): TokenUsage | undefined {
    return this.#usage;
  }

  start(id?: string): void {
    if (id !== undefined && id !== '' && !this.#idFixed) {
      this.#id = id;
      this.#idFixed = true;
    }
    if (this.#started || this.#finished) return;
    this.#started = true;
    this.#chunk({ role: 'assistant', content: '' }, null);
  }

  text(delta: string): void {
    if (delta === '') return;
    this.#delta({ content: delta });
  }

  thinking(delta: string): void {
    if (delta === '') return;
    this.#delta({ reasoning_content: delta });
  }

  thinkingSignature(signature: string): void {
    this.#delta({ thinking_blocks: [{ type: 'thinking', signature }] });
  }

  redactedThinking(data: string): void {
    this.#delta({ thinking_blocks: [{ type: 'redacted_thinking', data }] });
  }

  toolStart(key: number, id: string, name: string): void {
    const index = this.#tools.size;
    this.#tools.set(key, index);
    this.#delta({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] });
  }

  toolArguments(key: number, fragment: string): void {
    const index = this.#tools.get(key);
    if (index === undefined || fragment === '') return;
    this.#delta({ tool_calls: [{ index, function: { arguments: fragment } }] });
  }

  stop(reason: StopReason): void {
    if (this.#finished) return;
    this.start();
    this.#chunk({}, openAIFinishReason(reason));
  }

  usage(usage: TokenUsage): void {
    this.#usage = usage;
  }

  error(error: UpstreamError): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#out += sseData(JSON.parse(openAIErrorBody(error.message, error.type ?? 'server_error')));
  }

  end(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#context.includeUsage && this.#usage !== undefined)
      this.#out += sseData({ ...this.#base(), choices: [], usage: chatUsage(this.#usage) });
    this.#out += SSE_DONE;
  }

  drain(): string {
    const out = this.#out;
    this.#out = '';
    return out;
  }

  #delta(delta: ChatChunkDelta): void {
    if (this.#finished) return;
    this.start();
    this.#chunk(delta, null);
  }

  #chunk(delta: ChatChunkDelta, finish: FinishReason | null): void {
    this.#out += sseData({ ...this.#base(), choices: [{ index: 0, delta, finish_reason: finish }] });
  }

  #base(): Omit<ChatCompletionChunk, 'choices'> {
    return {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#context.created,
      model: this.#context.requestModel,
    };
  }
}
