// The assistant's reply every chat-like upstream is read into and every chat-like client API is written from:
// whole (`Reply`) or as a stream of events pushed into a `ReplySink`. Stop reasons use Anthropic's names.
import type { TokenUsage } from './token-usage.ts';

export type StopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'content_filter';

export type ReplyBlock =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool_use'; readonly id: string; readonly name: string; readonly input: unknown }
  | { readonly type: 'thinking'; readonly thinking: string; readonly signature?: string }
  | { readonly type: 'redacted_thinking'; readonly data: string };

export interface Reply {
  /** The upstream's id for the message; the request id when it gives none. */
  readonly id: string;
  readonly blocks: readonly ReplyBlock[];
  readonly stop: StopReason | null;
  readonly usage: TokenUsage;
}

/** An upstream error read into its parts: the client API writes it in its own shape. */
export interface UpstreamError {
  /**
   * The upstream's own error type (e.g. `rate_limit_error`, `ThrottlingException`, `RESOURCE_EXHAUSTED`); absent
   * when the upstream gave none (a proxy's HTML page): the client API then names one from the status.
   */
  readonly type?: string;
  readonly message: string;
}

/**
 * Streamed reply events, in upstream order. Tool calls are keyed by the upstream's own block index, so
 * several tools streaming arguments keep them apart. A sink writes the client's stream as events come; the
 * caller takes what was written with `drain`.
 */
export interface ReplySink {
  /** The message began (idempotent); the id and model when the upstream names them. */
  start(id?: string): void;
  text(delta: string): void;
  thinking(delta: string): void;
  thinkingSignature(signature: string): void;
  redactedThinking(data: string): void;
  toolStart(key: number, id: string, name: string): void;
  toolArguments(key: number, fragment: string): void;
  stop(reason: StopReason): void;
  /** The counts so far (each call replaces the last). */
  usage(usage: TokenUsage): void;
  /** An error mid-stream: written in the client's shape; nothing more is written after it. */
  error(error: UpstreamError): void;
  /** The upstream stream ended: close the client's stream (once). */
  end(): void;
  /** What was written since the last drain. */
  drain(): string;
  readonly lastUsage: TokenUsage | undefined;
}

export function stopFromOpenAI(reason: string | null | undefined): StopReason | null {
  switch (reason) {
    case undefined:
    case null:
      return null;
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

export function openAIFinishReason(reason: StopReason): 'stop' | 'length' | 'tool_calls' | 'content_filter' {
  switch (reason) {
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** Anthropic clients know no `content_filter`: it is a refusal to them. */
export function anthropicStopReason(reason: StopReason): string {
  return reason === 'content_filter' ? 'refusal' : reason;
}
