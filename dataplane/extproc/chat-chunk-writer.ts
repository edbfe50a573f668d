// Writing the client's OpenAI chat stream (`chat.completion.chunk` SSE events, the optional usage chunk,
// `[DONE]`) for the provider translators that rewrite a streamed response.
import { openAIErrorBody } from './client-errors.ts';
import type { ChatCompletionChunk, FinishReason } from './openai-schema.ts';
import { SSE_DONE, sseData } from './sse.ts';
import { chatUsage, type TokenUsage } from './token-usage.ts';
import type { TranslationContext } from './translator.ts';

type ChunkDelta = ChatCompletionChunk['choices'][number]['delta'];

export class ChatChunkWriter {
  readonly #context: TranslationContext;
  /** The chunks' id: the request id unless the upstream names its message. */
  id: string;
  #finished = false;

  constructor(context: TranslationContext) {
    this.#context = context;
    this.id = context.requestId;
  }

  /** Whether the stream was closed (by `finish`) or ended by an error event. */
  get finished(): boolean {
    return this.#finished;
  }

  chunk(delta: ChunkDelta, finish: FinishReason | null): string {
    return sseData({ ...this.#base(), choices: [{ index: 0, delta, finish_reason: finish }] });
  }

  /** The first chunk of a tool call: its id and name, arguments still to come. */
  toolCallStart(index: number, id: string | undefined, name: string | undefined): string {
    return this.chunk(
      { tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] },
      null,
    );
  }

  /** A piece of a tool call's JSON arguments. */
  toolCallArguments(index: number, fragment: string): string {
    return this.chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }, null);
  }

  /** An upstream error mid-stream, as an OpenAI error event; nothing more is written after it. */
  error(message: string, type: string): string {
    this.#finished = true;
    return sseData(JSON.parse(openAIErrorBody(message, type)));
  }

  /** The usage chunk (when the client asked for it) and `[DONE]`, once. */
  finish(usage: TokenUsage | undefined): string {
    if (this.#finished) return '';
    this.#finished = true;
    const usageChunk =
      this.#context.includeUsage && usage !== undefined
        ? sseData({ ...this.#base(), choices: [], usage: chatUsage(usage) })
        : '';
    return usageChunk + SSE_DONE;
  }

  #base(): Omit<ChatCompletionChunk, 'choices'> {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.#context.created,
      model: this.#context.requestModel,
    };
  }
}
