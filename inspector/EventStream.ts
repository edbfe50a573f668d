import type { ServerResponse } from 'node:http';

/**
 * One server-sent-event client. Events written in one turn of the event loop go out in one write, and a client
 * whose backlog passes `highWater` bytes is dropped (it reconnects with Last-Event-ID) rather than buffered
 * without bound.
 */
export class EventStream {
  /** `all`: every trace event; `summary`: one `trace-summary` per tick (what a UI needs at any message rate). */
  readonly trace: 'all' | 'summary';
  /** With `all`: only trace events of these kinds (e.g. `send,effect` for message flows); undefined for every kind. */
  readonly kinds: ReadonlySet<string> | undefined;
  private readonly response: ServerResponse;
  private readonly highWater: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private ended = false;

  constructor(
    response: ServerResponse,
    trace: 'all' | 'summary',
    highWater: number,
    kinds?: ReadonlySet<string>,
  ) {
    this.response = response;
    this.trace = trace;
    this.kinds = kinds;
    this.highWater = highWater;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    response.write('retry: 2000\n\n');
    response.on('close', () => {
      this.ended = true;
    });
  }

  get closed(): boolean {
    return this.ended;
  }

  send(event: string, data: unknown, id?: number): void {
    this.sendJson(event, JSON.stringify(data), id);
  }

  /** Sends data already serialized as JSON (one line). */
  sendJson(event: string, json: string, id?: number): void {
    if (this.ended) return;
    const chunk = `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${json}\n\n`;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes + this.response.writableLength > this.highWater) {
      this.end();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.pending = [];
    this.response.end();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.ended || this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    this.response.write(text);
  }
}
