// Server-sent events: an incremental parser that survives events split across chunks, and the writer.

export interface SseEvent {
  readonly event: string | undefined;
  readonly data: string;
}

export class SseParser {
  readonly #decoder = new TextDecoder();
  #buffer = '';

  /** Feeds bytes; returns every event completed by them. */
  push(chunk: Uint8Array | string): SseEvent[] {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n\r\n|\n\n|\r\r/.exec(this.#buffer);
      if (match === null) break;
      const block = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const event = parseBlock(block);
      if (event !== undefined) events.push(event);
    }
    return events;
  }

  /** The stream ended: a last event without its blank line still counts. */
  end(): SseEvent[] {
    const rest = this.#buffer + this.#decoder.decode();
    this.#buffer = '';
    const event = rest.trim() === '' ? undefined : parseBlock(rest);
    return event === undefined ? [] : [event];
  }
}

function parseBlock(block: string): SseEvent | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 && event === undefined ? undefined : { event, data: data.join('\n') };
}

/** One `data:` event carrying JSON. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** One named event carrying JSON (the Anthropic streaming format). */
export function sseNamedEvent(event: string, value: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(value)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';
