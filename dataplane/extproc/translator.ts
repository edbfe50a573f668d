// The contract every provider translator fulfils: pure functions from the client's request to the
// upstream's, and from the upstream's response (whole or streamed) back to the client's schema.
import type { MultipartForm } from './multipart-form.ts';
import type { TokenUsage } from './token-usage.ts';

/** The API the client speaks, chosen by the request path. */
export type ClientApi =
  | 'openai.chat'
  | 'openai.completions'
  | 'openai.embeddings'
  | 'openai.responses'
  | 'openai.responses_input_tokens'
  | 'openai.images'
  | 'openai.speech'
  | 'openai.transcriptions'
  | 'openai.translations'
  | 'openai.tokenize'
  | 'anthropic.messages'
  | 'anthropic.count_tokens'
  | 'cohere.rerank';

/** What the translated request changes: the path, the body and the headers the upstream needs. */
export interface UpstreamRequest {
  readonly path: string;
  readonly body: string;
  /** A multipart form's bytes (uploads), sent instead of `body` (then empty). */
  readonly formBody?: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** Per-request facts a translator needs; all deterministic (no clocks or random ids inside translators). */
export interface TranslationContext {
  /** The model name sent upstream (after the backend's modelNameOverride). */
  readonly model: string;
  /** The model name the client asked for; echoed back in responses. */
  readonly requestModel: string;
  readonly stream: boolean;
  /** Unix seconds for the `created` field of OpenAI objects. */
  readonly created: number;
  /** A request-unique id, used where the upstream gives none (chat ids, tool call ids). */
  readonly requestId: string;
  /** A translated stream ends with a usage chunk: the client asked (`stream_options.include_usage`) or costs are configured. */
  readonly includeUsage: boolean;
  /** The client's `encoding_format` of embeddings (`base64` or `float`), for translated embeddings. */
  readonly encodingFormat?: string;
  /** The client's multipart/form-data body (audio uploads), when the client API sends one instead of JSON. */
  readonly form?: MultipartForm;
  /** The client's request headers (lower-case names), for the few translations that read one (anthropic-beta). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TranslatedResponse {
  readonly body: string;
  readonly usage: TokenUsage | undefined;
}

/** Translates one streamed response chunk by chunk; keeps whatever state spans chunk boundaries. */
export interface StreamTranslator {
  /** Upstream bytes in, client bytes out (possibly empty while an event is incomplete). */
  push(chunk: Uint8Array): string;
  /** The upstream stream ended: flush, and close the client's stream (e.g. `data: [DONE]`). */
  end(): string;
  usage(): TokenUsage | undefined;
}

export interface Translator {
  /** Translates the parsed client body; throws TranslationError when the request cannot be expressed. */
  request(body: Record<string, unknown>, context: TranslationContext): UpstreamRequest;
  /** Translates a whole (already decompressed) success body; throws TranslationError when unreadable. */
  response(body: Uint8Array, context: TranslationContext): TranslatedResponse;
  stream(context: TranslationContext): StreamTranslator;
  /** An upstream error body in the client's error shape; the HTTP status is kept. */
  error(status: number, body: Uint8Array, headers: Readonly<Record<string, string>>): string;
  /** Whether the response body is rewritten (false: passed through and only read for usage). */
  readonly rewritesResponse: boolean;
  /**
   * A success body that is neither rewritten nor read (generated audio, no usage in it): Envoy passes it on without
   * sending it to the service, so it is never buffered, whatever its size. A server-sent events body is still read
   * as a passed-through stream, for its usage.
   */
  readonly leavesResponseUnread?: boolean;
  /**
   * Whether the response is a stream is the upstream's to say (content-type text/event-stream), whatever the
   * request asked: whisper-1 answers JSON to a transcription asked with `stream`.
   */
  readonly streamedByContentType?: boolean;
  /** The content type of a rewritten stream (Bedrock's event-stream becomes server-sent events). */
  readonly streamContentType?: string;
}

/**
 * A request the translator cannot express upstream (answered 422; 400 when the request itself is malformed), or a
 * response it cannot read.
 */
export class TranslationError extends Error {
  readonly status: 400 | 422;
  constructor(message: string, status: 400 | 422 = 422) {
    super(message);
    this.status = status;
    this.name = 'TranslationError';
  }
}
