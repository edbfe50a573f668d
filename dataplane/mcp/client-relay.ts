// The client side of a session's relaying: what a backend sends on its own (notifications, requests such as
// sampling or elicitation) goes to the client, on the client request it belongs to or the client's standalone
// stream, with URIs and logger names made the client's; a backend's cancellation of its request reaches the client.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  ErrorCode,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type RequestId,
  type Result,
  ResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { RpcError } from './backend-errors.ts';
import type { Relay } from './backend-session.ts';
import { prefixUri } from './names.ts';

export interface ClientRelayHost {
  readonly sessionId: string;
  readonly logger: Logger;
  /** The client-facing server, once the session is open. */
  server(): Server | undefined;
  closed(): boolean;
  clientRequestTimeoutMs(): number;
}

export class ClientRelay {
  readonly #host: ClientRelayHost;
  /** Requests backends sent the client, by `<backend> <id>`, so a backend's cancellation reaches the client. */
  readonly #relayed = new Map<string, AbortController>();

  constructor(host: ClientRelayHost) {
    this.#host = host;
  }

  /** Gives up every request a backend sent the client (the session ends). */
  abortAll(): void {
    for (const controller of this.#relayed.values()) controller.abort();
  }

  /** Where a backend's messages go: on the client request they belong to, or the client's standalone stream. */
  relay(backend: string, relatedRequestId: RequestId | undefined): Relay {
    return {
      notification: (message) => this.#relayNotification(backend, message, relatedRequestId),
      request: (message) => this.#relayRequest(backend, message, relatedRequestId),
    };
  }

  #relayNotification(
    backend: string,
    message: JSONRPCNotification,
    relatedRequestId: RequestId | undefined,
  ): void {
    const params = (message.params ?? {}) as Record<string, unknown>;
    switch (message.method) {
      case 'notifications/cancelled': {
        // The backend gave up on a request it sent the client: so does the proxy.
        const key = `${backend} ${String(params.requestId)}`;
        this.#relayed.get(key)?.abort(typeof params.reason === 'string' ? params.reason : undefined);
        return;
      }
      case 'notifications/resources/updated':
        this.notify(
          { method: message.method, params: { ...params, uri: prefixUri(backend, String(params.uri)) } },
          relatedRequestId,
        );
        return;
      case 'notifications/message':
        this.notify(
          {
            method: message.method,
            params: {
              ...params,
              logger: typeof params.logger === 'string' ? `${backend}/${params.logger}` : backend,
            },
          },
          relatedRequestId,
        );
        return;
      default:
        this.notify({ method: message.method, params }, relatedRequestId);
    }
  }

  async #relayRequest(
    backend: string,
    message: JSONRPCRequest,
    relatedRequestId: RequestId | undefined,
  ): Promise<Result> {
    const server = this.#host.server();
    if (server === undefined) throw new RpcError(ErrorCode.InternalError, 'the client session is not ready');
    const key = `${backend} ${String(message.id)}`;
    const controller = new AbortController();
    this.#relayed.set(key, controller);
    try {
      return await server.request({ method: message.method, params: message.params }, ResultSchema, {
        ...(relatedRequestId === undefined ? {} : { relatedRequestId }),
        signal: controller.signal,
        timeout: this.#host.clientRequestTimeoutMs(),
      });
    } finally {
      this.#relayed.delete(key);
    }
  }

  notify(
    notification: { method: string; params?: Record<string, unknown> },
    relatedRequestId: RequestId | undefined,
  ): void {
    const server = this.#host.server();
    if (server === undefined || this.#host.closed()) return;
    server
      .notification(
        notification as Parameters<Server['notification']>[0],
        relatedRequestId === undefined ? undefined : { relatedRequestId },
      )
      .catch((error: Error) => {
        this.#host.logger.debug(
          { session: this.#host.sessionId, method: notification.method, error: error.message },
          'notification not relayed',
        );
      });
  }
}
