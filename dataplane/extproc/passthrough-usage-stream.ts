// A passed-through SSE stream read only for token usage: bytes are forwarded untouched, and only events
// mentioning `"usage"` are parsed.
import { parseJsonObject } from './client-errors.ts';
import { SseParser } from './sse.ts';
import type { TokenUsage } from './token-usage.ts';
import type { StreamTranslator } from './translator.ts';
import { utf8 } from './utf8.ts';

export class PassthroughUsageStream<State> implements StreamTranslator {
  readonly #parser = new SseParser();
  readonly #fold: (state: State | undefined, event: Record<string, unknown> | undefined) => State | undefined;
  readonly #toUsage: (state: State) => TokenUsage;
  #state: State | undefined;

  /** `fold` folds one usage-bearing event into the state so far; `toUsage` reads the final counts. */
  constructor(
    fold: (state: State | undefined, event: Record<string, unknown> | undefined) => State | undefined,
    toUsage: (state: State) => TokenUsage,
  ) {
    this.#fold = fold;
    this.#toUsage = toUsage;
  }

  push(chunk: Uint8Array): string {
    this.#read(this.#parser.push(chunk));
    return utf8(chunk);
  }

  end(): string {
    this.#read(this.#parser.end());
    return '';
  }

  usage(): TokenUsage | undefined {
    return this.#state === undefined ? undefined : this.#toUsage(this.#state);
  }

  #read(events: { data: string }[]): void {
    for (const event of events) {
      // Only usage-bearing events are parsed: the rest is forwarded without JSON work.
      if (!event.data.includes('"usage"')) continue;
      this.#state = this.#fold(this.#state, parseJsonObject(event.data));
    }
  }
}
