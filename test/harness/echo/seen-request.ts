// What an echo backend saw, as it reports it back (the JSON body of its answer) and keeps it for
// assertions, in the spirit of the Gateway API conformance echo server.

export type EchoProtocol = 'http/1.1' | 'h2c' | 'https' | 'grpc' | 'tcp' | 'udp' | 'websocket';

export interface SeenRequest {
  /** The name the test gave the backend: tells which backend answered. */
  backend: string;
  protocol: EchoProtocol;
  /** HTTP-like protocols: request method, path with query, authority and headers (lowercase names). */
  method: string;
  path: string;
  host: string;
  headers: Record<string, string>;
  /** The request body, a gRPC message, a TCP line, a UDP datagram or a WebSocket message, as UTF-8. */
  body: string;
  /** HTTPS only: the SNI name and the negotiated ALPN protocol. */
  tls?: { servername: string; alpn: string };
}

export interface EchoServer {
  readonly backend: string;
  readonly protocol: EchoProtocol;
  /** 0 for a server on a Unix socket. */
  readonly port: number;
  /** 127.0.0.1:port, or the path of its Unix socket. */
  readonly address: string;
  /** Everything this backend saw, oldest first (mirrored requests land here too). */
  readonly seen: readonly SeenRequest[];
  /** Resolves once the backend has seen at least `count` requests. */
  waitForSeen(count: number, timeoutMs?: number): Promise<readonly SeenRequest[]>;
  close(): Promise<void>;
}

/** The record of one backend, shared by every echo server kind. */
export class SeenLog {
  readonly seen: SeenRequest[] = [];
  readonly #waiters = new Set<() => void>();

  add(request: SeenRequest): SeenRequest {
    this.seen.push(request);
    for (const wake of this.#waiters) wake();
    return request;
  }

  waitForSeen(count: number, timeoutMs = 30_000): Promise<readonly SeenRequest[]> {
    if (this.seen.length >= count) return Promise.resolve(this.seen);
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (this.seen.length < count) return;
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve(this.seen);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(
          new Error(
            `echo backend saw ${this.seen.length} requests, expected ${count} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(wake);
    });
  }
}

/** Header values of Node's http/http2 request objects, without HTTP/2 pseudo-headers. */
export function plainHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    plain[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return plain;
}
