// One session with one backend MCP server over Streamable HTTP (the client side of the transport): initialize,
// requests whose answers come as JSON or as an SSE stream, notifications, the standalone GET stream, DELETE.
// Written on node:http rather than the SDK's client transport because the proxy must know on which request's
// stream a backend message arrived (to relay it on the same client request), must connect to a chosen endpoint
// while keeping the URL's Host, and must tell an expired session (404) from an unreachable server.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import {
  type ClientCapabilities,
  type Implementation,
  type InitializeResult,
  InitializeResultSchema,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type Result,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { createParser } from 'eventsource-parser';
import { BackendError, type BackendFailure, RpcError } from './backend-errors.ts';
import type { McpBackend } from './config.ts';

/** Where what a backend sends on its own goes: notifications, and requests the client must answer. */
export interface Relay {
  notification(message: JSONRPCNotification): void;
  /** Resolves with the client's result; rejects (an RpcError keeps its code) when the client refused. */
  request(message: JSONRPCRequest): Promise<Result>;
}

export interface BackendSessionOptions {
  readonly backend: McpBackend;
  /** Which of the backend's endpoints this session sticks to (a backend session lives on one server). */
  readonly endpoint: string | undefined;
  readonly clientInfo: Implementation;
  readonly clientCapabilities: ClientCapabilities;
  readonly protocolVersion: string;
  readonly timeoutMs: number;
  /** Messages the backend sends on its standalone (GET) stream. */
  readonly standalone: Relay;
  /** Told when the standalone stream finds the session gone (404) or the server unreachable. */
  readonly onLost?: (error: BackendError) => void;
}

export interface RequestOptions {
  /** Where messages on this request's stream go. */
  readonly relay: Relay;
  readonly signal?: AbortSignal | undefined;
}

const agents = {
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true }),
};
const MAX_ERROR_BODY = 2048;
const STANDALONE_RETRY_MS = { first: 500, max: 30_000 };

export class BackendSession {
  readonly #options: BackendSessionOptions;
  #backend: McpBackend;
  #sessionId: string | undefined;
  #protocolVersion: string;
  #nextId = 0;
  #closed = false;
  #standalone: http.ClientRequest | undefined;
  #standaloneRetry: NodeJS.Timeout | undefined;
  #result: InitializeResult | undefined;

  constructor(options: BackendSessionOptions) {
    this.#options = options;
    this.#backend = options.backend;
    this.#protocolVersion = options.protocolVersion;
  }

  get name(): string {
    return this.#backend.name;
  }

  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  get initializeResult(): InitializeResult | undefined {
    return this.#result;
  }

  /** A new configuration of the same backend (credentials, selector): later requests use it. */
  update(backend: McpBackend): void {
    this.#backend = backend;
  }

  /** The initialize handshake, then the standalone stream (when the server offers one). */
  async initialize(signal?: AbortSignal): Promise<InitializeResult> {
    if (this.#backend.endpoints !== undefined && this.#backend.endpoints.length === 0)
      throw this.#error('unreachable', 'has no ready endpoint');
    const raw = await this.request(
      'initialize',
      {
        protocolVersion: this.#options.protocolVersion,
        capabilities: this.#options.clientCapabilities,
        clientInfo: this.#options.clientInfo,
      },
      { relay: this.#options.standalone, signal },
    );
    const parsed = InitializeResultSchema.safeParse(raw);
    if (!parsed.success)
      throw this.#error('protocol', `answered initialize with an invalid result: ${parsed.error.message}`);
    const result = parsed.data;
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(result.protocolVersion))
      throw this.#error('protocol', `speaks MCP ${result.protocolVersion}, which this proxy does not`);
    this.#protocolVersion = result.protocolVersion;
    this.#result = result;
    await this.notify('notifications/initialized');
    this.#openStandalone(undefined, STANDALONE_RETRY_MS.first);
    return result;
  }

  /** Sends a request; resolves with its result, rejects with an RpcError (the backend's) or a BackendError. */
  request(method: string, params: unknown, options: RequestOptions): Promise<Result> {
    if (this.#closed) return Promise.reject(this.#error('closed', 'session is closed'));
    const id = ++this.#nextId;
    const message: JSONRPCRequest = {
      jsonrpc: '2.0',
      id,
      method,
      ...(params === undefined ? {} : { params: params as JSONRPCRequest['params'] }),
    };
    return new Promise<Result>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const fail = (error: Error) => settle(() => reject(error));
      const timer = setTimeout(() => {
        fail(this.#error('timeout', `did not answer ${method} within ${this.#options.timeoutMs} ms`));
        request.destroy();
        this.#cancel(id, 'timed out at the proxy');
      }, this.#options.timeoutMs);
      const onAbort = () => {
        fail(this.#error('closed', `${method} was cancelled`));
        request.destroy();
        this.#cancel(id, 'cancelled by the client');
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const onMessage = (incoming: JSONRPCMessage) => {
        if ((isJSONRPCResultResponse(incoming) || isJSONRPCErrorResponse(incoming)) && incoming.id === id) {
          if (isJSONRPCErrorResponse(incoming)) {
            const { code, message: text, data } = incoming.error;
            settle(() => reject(new RpcError(code, text, data)));
          } else settle(() => resolve(incoming.result));
          return true;
        }
        this.#dispatch(incoming, options.relay);
        return false;
      };
      const request = this.#post(message, (response) => {
        if (settled) {
          response.resume();
          return;
        }
        const sessionId = response.headers['mcp-session-id'];
        if (method === 'initialize' && typeof sessionId === 'string') this.#sessionId = sessionId;
        this.#readAnswer(response, method, onMessage).then(
          (answered) => {
            if (!answered)
              fail(this.#error('protocol', `closed the stream of ${method} without answering it`));
          },
          (error: Error) => fail(error),
        );
      });
      request.on('error', (error) => fail(this.#unreachable(error)));
    });
  }

  /** Sends a notification (202 expected). */
  notify(method: string, params?: unknown): Promise<void> {
    const message = {
      jsonrpc: '2.0' as const,
      method,
      ...(params === undefined ? {} : { params: params as JSONRPCNotification['params'] }),
    };
    return this.#send(message);
  }

  /** Ends the session: stops the standalone stream and DELETEs the backend session (best effort). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#standaloneRetry);
    this.#standalone?.destroy();
    if (this.#sessionId === undefined) return;
    await new Promise<void>((resolve) => {
      const request = this.#http('DELETE', {}, (response) => {
        response.resume();
        response.on('end', resolve);
        response.on('error', () => resolve());
      });
      request.setTimeout(5_000, () => request.destroy());
      request.on('error', () => resolve());
      request.end();
    });
  }

  /** Reads a POST's answer: one JSON message or an SSE stream; true once `onMessage` took the response. */
  async #readAnswer(
    response: IncomingMessage,
    method: string,
    onMessage: (message: JSONRPCMessage) => boolean,
  ): Promise<boolean> {
    const status = response.statusCode ?? 0;
    if (status === 404 && this.#sessionId !== undefined && method !== 'initialize') {
      response.resume();
      throw this.#error('session-expired', 'no longer knows this session (404)', 404);
    }
    if (status < 200 || status >= 300) {
      const text = await readText(response, MAX_ERROR_BODY);
      throw this.#error(
        'http',
        `answered ${method} with HTTP ${status}${text === '' ? '' : `: ${text}`}`,
        status,
      );
    }
    const type = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'text/event-stream') return this.#readStream(response, onMessage);
    if (type !== 'application/json') {
      response.resume();
      throw this.#error('protocol', `answered ${method} with content-type '${type}'`);
    }
    const body = await readText(response, Number.POSITIVE_INFINITY);
    let answered = false;
    for (const message of this.#parse(body)) answered = onMessage(message) || answered;
    return answered;
  }

  /** Reads an SSE stream until `onMessage` took the response (the stream is then dropped) or the stream ends. */
  #readStream(response: IncomingMessage, onMessage: (message: JSONRPCMessage) => boolean): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let answered = false;
      const parser = createParser({
        onEvent: (event) => {
          if (answered || event.data === '') return;
          try {
            for (const message of this.#parse(event.data)) {
              if (onMessage(message)) answered = true;
            }
          } catch (error) {
            reject(error);
          }
          // The server ends the stream after the answer; reading on to its end keeps the connection reusable.
          if (answered) resolve(true);
        },
      });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => parser.feed(chunk));
      response.on('end', () => resolve(answered));
      response.on('close', () => resolve(answered));
      response.on('error', (error) => (answered ? resolve(true) : reject(this.#unreachable(error))));
    });
  }

  /** What the backend sends beside a response: notifications and requests go to the relay. */
  #dispatch(message: JSONRPCMessage, relay: Relay): void {
    if (isJSONRPCNotification(message)) {
      relay.notification(message);
      return;
    }
    if (!isJSONRPCRequest(message)) return; // a response to nothing we asked: dropped
    relay
      .request(message)
      .then(
        (result) => this.#send({ jsonrpc: '2.0', id: message.id, result }),
        (error: Error & { code?: unknown; data?: unknown }) =>
          this.#send({
            jsonrpc: '2.0',
            id: message.id,
            error: {
              code: typeof error.code === 'number' ? error.code : -32603,
              message: error.message,
              ...(error.data === undefined ? {} : { data: error.data }),
            },
          }),
      )
      .catch(() => {
        // The backend went away while the client answered: the answer has nowhere to go.
      });
  }

  /** Opens the standalone GET stream and keeps it open (reconnecting with Last-Event-ID) until closed. */
  #openStandalone(lastEventId: string | undefined, retryMs: number): void {
    if (this.#closed) return;
    const reconnect = (eventId: string | undefined, delay: number) => {
      if (this.#closed) return;
      this.#standaloneRetry = setTimeout(
        () => this.#openStandalone(eventId, Math.min(delay * 2, STANDALONE_RETRY_MS.max)),
        delay,
      );
      this.#standaloneRetry.unref();
    };
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const request = this.#http('GET', headers, (response) => {
      const status = response.statusCode ?? 0;
      const type = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (status === 405) {
        response.resume(); // the server offers no standalone stream
        return;
      }
      if (status === 404) {
        response.resume();
        this.#options.onLost?.(this.#error('session-expired', 'no longer knows this session (404)', 404));
        return;
      }
      if (status !== 200 || type !== 'text/event-stream') {
        response.resume();
        reconnect(lastEventId, retryMs);
        return;
      }
      let last = lastEventId;
      let serverRetry: number | undefined;
      const parser = createParser({
        onEvent: (event) => {
          if (event.id !== undefined) last = event.id;
          if (event.data === '') return;
          try {
            for (const message of this.#parse(event.data)) this.#dispatch(message, this.#options.standalone);
          } catch {
            // A malformed message on the standalone stream is skipped; the stream goes on.
          }
        },
        onRetry: (ms) => {
          serverRetry = ms;
        },
      });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => parser.feed(chunk));
      response.on('close', () => reconnect(last, serverRetry ?? STANDALONE_RETRY_MS.first));
    });
    request.on('error', (error) => {
      if (this.#closed) return;
      this.#options.onLost?.(this.#unreachable(error));
      reconnect(lastEventId, retryMs);
    });
    this.#standalone = request;
    request.end();
  }

  /** A POST whose answer is only its status (a notification or a response to the backend's request). */
  #send(message: JSONRPCMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const request = this.#post(message, (response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        if (status >= 200 && status < 300) resolve();
        else if (status === 404 && this.#sessionId !== undefined)
          reject(this.#error('session-expired', 'no longer knows this session (404)', 404));
        else reject(this.#error('http', `answered a message with HTTP ${status}`, status));
      });
      request.setTimeout(this.#options.timeoutMs, () => request.destroy());
      request.on('error', (error) => reject(this.#unreachable(error)));
    });
  }

  #cancel(requestId: number, reason: string): void {
    if (this.#closed) return;
    this.notify('notifications/cancelled', { requestId, reason }).catch(() => {
      // The backend is gone or refuses: nothing more to cancel.
    });
  }

  #post(message: JSONRPCMessage, onResponse: (response: IncomingMessage) => void): http.ClientRequest {
    const body = JSON.stringify(message);
    const request = this.#http(
      'POST',
      {
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      },
      onResponse,
    );
    request.end(body);
    return request;
  }

  #http(
    method: string,
    headers: Record<string, string>,
    onResponse: (response: IncomingMessage) => void,
  ): http.ClientRequest {
    const backend = this.#backend;
    const url = backend.url;
    const all: Record<string, string> = { ...headers, host: url.host };
    if (this.#sessionId !== undefined) {
      all['mcp-session-id'] = this.#sessionId;
      all['mcp-protocol-version'] = this.#protocolVersion;
    }
    let path = `${url.pathname}${url.search}`;
    const credential = backend.credential;
    if (credential?.header !== undefined) {
      all[credential.header.toLowerCase()] =
        credential.header.toLowerCase() === 'authorization' ? `Bearer ${credential.key}` : credential.key;
    } else if (credential?.queryParam !== undefined) {
      path += `${url.search === '' ? '?' : '&'}${encodeURIComponent(credential.queryParam)}=${encodeURIComponent(credential.key)}`;
    }
    const [host, port] =
      this.#options.endpoint === undefined ? [url.hostname, url.port] : splitHostPort(this.#options.endpoint);
    const secure = url.protocol === 'https:';
    const options: https.RequestOptions = {
      method,
      host: host.replace(/^\[|\]$/g, ''),
      port: port === '' ? (secure ? 443 : 80) : Number(port),
      path,
      headers: all,
      agent: secure ? agents.https : agents.http,
      ...(secure ? { servername: url.hostname } : {}),
    };
    return secure ? https.request(options, onResponse) : http.request(options, onResponse);
  }

  #parse(text: string): JSONRPCMessage[] {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw this.#error('protocol', 'sent a message that is not JSON');
    }
    return (Array.isArray(raw) ? raw : [raw]).map((item) => {
      const parsed = JSONRPCMessageSchema.safeParse(item);
      if (!parsed.success) throw this.#error('protocol', 'sent a message that is not JSON-RPC');
      return parsed.data;
    });
  }

  #unreachable(error: Error): BackendError {
    return this.#error('unreachable', `is unreachable: ${error.message}`);
  }

  #error(failure: BackendFailure, message: string, status?: number): BackendError {
    return new BackendError(
      this.#backend.name,
      failure,
      `backend '${this.#backend.name}' ${message}`,
      status,
    );
  }
}

function splitHostPort(endpoint: string): [string, string] {
  const at = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, at), endpoint.slice(at + 1)];
}

function readText(response: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (text.length < limit) text += chunk;
    });
    response.on('end', () => resolve(text.length > limit ? text.slice(0, limit) : text.trim()));
    response.on('error', () => resolve(text));
  });
}
