// The client side of one proxy session: the server half of the Streamable HTTP transport on node:http, as an
// SDK `Transport` so the SDK's `Server` speaks the protocol over it. A request is answered with one JSON body
// when its answer is the first thing to go out, and switches to an SSE stream as soon as a notification or a
// request related to it has to go first (progress, logging, a backend asking the client for sampling or
// elicitation): JSON costs less, and nothing related is lost. The choice is made per request, when the first
// message is written — the transport's own rule, where the SDK's is fixed per transport (its JSON mode drops
// related messages).
import type { ServerResponse } from 'node:http';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

interface PendingAnswer {
  readonly response: ServerResponse;
  streaming: boolean;
}

/** SSE comment lines keep idle streams open through proxies with idle timeouts (Envoy's default is 5 min). */
const KEEPALIVE_MS = 30_000;

export class FrontTransport implements Transport {
  readonly sessionId: string;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly #pending = new Map<RequestId, PendingAnswer>();
  #standalone: ServerResponse | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(sessionId: string) {
    this.sessionId = sessionId;
  }

  async start(): Promise<void> {
    // Connections are per HTTP request: nothing to start.
  }

  /** A POSTed message (already parsed and validated): requests wait for their answer on `response`. */
  receive(message: JSONRPCMessage, response: ServerResponse, extra: MessageExtraInfo): void {
    if (isJSONRPCRequest(message)) {
      this.#pending.set(message.id, { response, streaming: false });
      response.on('close', () => {
        // The client went away: its answer, if it ever comes, has nowhere to go (not a cancellation).
        if (this.#pending.get(message.id)?.response === response) this.#pending.delete(message.id);
      });
    } else {
      response.writeHead(202, { 'mcp-session-id': this.sessionId }).end();
    }
    this.onmessage?.(message, extra);
  }

  /** A GET: the session's standalone stream for messages unrelated to any request (one at a time). */
  openStandalone(response: ServerResponse): boolean {
    if (this.#standalone !== undefined && !this.#standalone.writableEnded) return false;
    this.#startStream(response);
    this.#standalone = response;
    response.on('close', () => {
      if (this.#standalone === response) this.#standalone = undefined;
    });
    return true;
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
      if (pending === undefined || message.id === undefined) return;
      this.#pending.delete(message.id);
      if (pending.streaming) {
        pending.response.end(event(message));
        return;
      }
      const body = JSON.stringify(message);
      pending.response
        .writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'mcp-session-id': this.sessionId,
        })
        .end(body);
      return;
    }
    const related =
      options?.relatedRequestId === undefined ? undefined : this.#pending.get(options.relatedRequestId);
    if (related !== undefined && !related.response.writableEnded) {
      if (!related.streaming) {
        this.#startStream(related.response);
        related.streaming = true;
      }
      related.response.write(event(message));
      return;
    }
    if (this.#standalone !== undefined && !this.#standalone.writableEnded) {
      this.#standalone.write(event(message));
      return;
    }
    // A request nobody can see would wait for its timeout: refuse it now so the backend hears at once.
    if (isJSONRPCRequest(message))
      throw new Error(
        'the client has no open stream to receive this request (no GET stream, request finished)',
      );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepalive);
    for (const pending of this.#pending.values()) if (pending.streaming) pending.response.end();
    this.#pending.clear();
    this.#standalone?.end();
    this.#standalone = undefined;
    this.onclose?.();
  }

  #startStream(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'mcp-session-id': this.sessionId,
    });
    response.flushHeaders();
    this.#keepalive ??= setInterval(() => this.#ping(), KEEPALIVE_MS).unref();
  }

  #ping(): void {
    if (this.#standalone !== undefined && !this.#standalone.writableEnded)
      this.#standalone.write(': keepalive\n\n');
    for (const pending of this.#pending.values())
      if (pending.streaming && !pending.response.writableEnded) pending.response.write(': keepalive\n\n');
  }
}

function event(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}
