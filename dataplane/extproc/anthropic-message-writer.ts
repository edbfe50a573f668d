// Writing a Reply for an Anthropic Messages client: the whole `message`, or its streaming events
// (`message_start`, `content_block_start/delta/stop` per block, `message_delta` with the stop reason and the
// final usage, `message_stop`). Block indexes are the client's own, counted as blocks open.
import { anthropicErrorBody, anthropicErrorType } from './client-errors.ts';
import {
  anthropicStopReason,
  type Reply,
  type ReplyBlock,
  type ReplySink,
  type StopReason,
  type UpstreamError,
} from './reply.ts';
import { sseNamedEvent } from './sse.ts';
import { anthropicUsage, type TokenUsage, tokenUsage } from './token-usage.ts';
import type { TranslationContext } from './translator.ts';

function anthropicBlock(block: ReplyBlock): Record<string, unknown> {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input ?? {} };
    case 'thinking':
      return { type: 'thinking', thinking: block.thinking, signature: block.signature ?? '' };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: block.data };
  }
}

export function anthropicMessageBody(reply: Reply, context: TranslationContext): string {
  return JSON.stringify({
    id: reply.id,
    type: 'message',
    role: 'assistant',
    model: context.requestModel,
    content: reply.blocks.map(anthropicBlock),
    stop_reason: reply.stop === null ? null : anthropicStopReason(reply.stop),
    stop_sequence: null,
    usage: anthropicUsage(reply.usage),
  });
}

/** An upstream error as Anthropic's error object, the upstream's type kept. */
export function anthropicErrorFromUpstream(status: number, error: UpstreamError): string {
  return anthropicErrorBody(error.message, error.type ?? anthropicErrorType(status));
}

type OpenBlock = 'text' | 'thinking' | 'tool_use' | 'redacted' | undefined;

/** The client's Anthropic event stream, written from reply events. */
export class AnthropicEventWriter implements ReplySink {
  readonly #context: TranslationContext;
  #id: string;
  #out = '';
  #started = false;
  #finished = false;
  #usage: TokenUsage | undefined;
  #stop: StopReason | undefined;
  /** Index of the next block; the open one is `#next - 1` while `#open` is set. */
  #next = 0;
  #open: OpenBlock;
  /** Upstream tool key → block index. */
  readonly #tools = new Map<number, number>();

  constructor(context: TranslationContext) {
    this.#context = context;
    this.#id = context.requestId;
  }

  get lastUsage(): TokenUsage | undefined {
    return this.#usage;
  }

  start(id?: string): void {
    if (this.#started || this.#finished) return;
    if (id !== undefined && id !== '') this.#id = id;
    this.#started = true;
    const usage = anthropicUsage(this.#usage ?? tokenUsage(0, 0));
    this.#event('message_start', {
      type: 'message_start',
      message: {
        id: this.#id,
        type: 'message',
        role: 'assistant',
        model: this.#context.requestModel,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage,
      },
    });
  }

  text(delta: string): void {
    if (delta === '' || !this.#open_('text', { type: 'text', text: '' })) return;
    this.#delta({ type: 'text_delta', text: delta });
  }

  thinking(delta: string): void {
    if (delta === '' || !this.#open_('thinking', { type: 'thinking', thinking: '' })) return;
    this.#delta({ type: 'thinking_delta', thinking: delta });
  }

  thinkingSignature(signature: string): void {
    if (!this.#open_('thinking', { type: 'thinking', thinking: '' })) return;
    this.#delta({ type: 'signature_delta', signature });
  }

  redactedThinking(data: string): void {
    if (!this.#open_('redacted', { type: 'redacted_thinking', data })) return;
    this.#closeBlock();
  }

  toolStart(key: number, id: string, name: string): void {
    if (!this.#open_('tool_use', { type: 'tool_use', id, name, input: {} })) return;
    this.#tools.set(key, this.#next - 1);
  }

  toolArguments(key: number, fragment: string): void {
    const index = this.#tools.get(key);
    if (index === undefined || fragment === '' || this.#finished) return;
    this.#event('content_block_delta', {
      type: 'content_block_delta',
      index,
      delta: { type: 'input_json_delta', partial_json: fragment },
    });
  }

  stop(reason: StopReason): void {
    this.#stop = reason;
  }

  usage(usage: TokenUsage): void {
    this.#usage = usage;
  }

  error(error: UpstreamError): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#out += sseNamedEvent(
      'error',
      JSON.parse(anthropicErrorBody(error.message, error.type ?? 'api_error')),
    );
  }

  end(): void {
    if (this.#finished) return;
    this.start();
    this.#finished = true;
    this.#closeBlock();
    this.#event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: anthropicStopReason(this.#stop ?? 'end_turn'), stop_sequence: null },
      usage: anthropicUsage(this.#usage ?? tokenUsage(0, 0)),
    });
    this.#event('message_stop', { type: 'message_stop' });
  }

  drain(): string {
    const out = this.#out;
    this.#out = '';
    return out;
  }

  /** Opens a block of `kind` unless one is open already (tool and redacted blocks always open anew). */
  #open_(kind: Exclude<OpenBlock, undefined>, contentBlock: Record<string, unknown>): boolean {
    if (this.#finished) return false;
    this.start();
    if (kind !== 'tool_use' && kind !== 'redacted' && this.#open === kind) return true;
    this.#closeBlock();
    this.#event('content_block_start', {
      type: 'content_block_start',
      index: this.#next,
      content_block: contentBlock,
    });
    this.#open = kind;
    this.#next++;
    return true;
  }

  #delta(delta: Record<string, unknown>): void {
    this.#event('content_block_delta', { type: 'content_block_delta', index: this.#next - 1, delta });
  }

  #closeBlock(): void {
    if (this.#open === undefined) return;
    this.#event('content_block_stop', { type: 'content_block_stop', index: this.#next - 1 });
    this.#open = undefined;
  }

  #event(name: string, data: unknown): void {
    this.#out += sseNamedEvent(name, data);
  }
}
