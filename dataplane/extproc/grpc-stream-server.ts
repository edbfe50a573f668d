// A minimal gRPC server for one bidirectional-streaming method, straight on node:http2 (h2c): 5-byte
// length-prefixed messages, `grpc-status` in trailers. ext_proc needs nothing more, and grpc-js's
// per-stream machinery cost more CPU than the translation itself (see bench/extproc.chat.bench.ts).
import { createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';

/** gRPC status codes we send. */
export const GRPC_STATUS = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;

/** Messages larger than this end the stream with RESOURCE_EXHAUSTED instead of being buffered. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface GrpcStream<TRequest, TResponse> {
  /** Called for every decoded request message. */
  onMessage(handler: (message: TRequest) => void): void;
  /** Called once when the stream is over: `completed` (the peer half-closed) or `cancelled` (reset, gone). */
  onClose(handler: (reason: 'completed' | 'cancelled') => void): void;
  write(message: TResponse): void;
  /** Ends our side with `grpc-status` (OK by default). */
  end(status?: number, message?: string): void;
  pause(): void;
  resume(): void;
  readonly closed: boolean;
}

export interface GrpcMethod<TRequest, TResponse> {
  /** `/package.Service/Method` */
  readonly path: string;
  readonly decode: (bytes: Uint8Array) => TRequest;
  readonly encode: (message: TResponse) => Uint8Array;
  /**
   * Optional, for hot paths: the message encoded after 5 bytes left free for the gRPC prefix, which the server
   * then fills in place (no copy of the message into a frame).
   */
  readonly encodeAfterPrefix?: (message: TResponse) => Buffer;
}

const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc' } as const;
const OK_TRAILERS = { 'grpc-status': String(GRPC_STATUS.OK) } as const;

export interface GrpcStreamServer {
  /** `host:port` with the bound port, or the `unix:` address. */
  readonly address: string;
  /** Streams open right now. */
  readonly openStreams: number;
  /** Stops accepting; resolves when every session closed or, after `graceMs`, cuts the rest. */
  close(graceMs: number): Promise<void>;
}

export async function startGrpcStreamServer<TRequest, TResponse>(
  listen: string,
  method: GrpcMethod<TRequest, TResponse>,
  onStream: (stream: GrpcStream<TRequest, TResponse>) => void,
): Promise<GrpcStreamServer> {
  const open = new Set<ServerHttp2Stream>();
  const server: Http2Server = createServer({ settings: { initialWindowSize: 1 << 20 } });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on('error', () => {}); // resets arrive as 'close'; an error event must not crash the process
    if (headers[':path'] !== method.path || headers[':method'] !== 'POST') {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(GRPC_STATUS.UNIMPLEMENTED),
          'grpc-message': `unknown method ${headers[':path']}`,
        },
        { endStream: true },
      );
      return;
    }
    open.add(stream);
    onStream(wrap(stream, method, () => open.delete(stream)));
  });
  const unix = listen.startsWith('unix:') ? listen.slice('unix:'.length) : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (unix !== undefined) server.listen(unix, resolve);
    else {
      const colon = listen.lastIndexOf(':');
      server.listen(Number(listen.slice(colon + 1)), listen.slice(0, colon).replace(/^\[|\]$/g, ''), resolve);
    }
  });
  const bound = server.address();
  const address =
    unix !== undefined
      ? listen
      : `${listen.slice(0, listen.lastIndexOf(':'))}:${(bound as AddressInfo).port}`;
  return {
    address,
    get openStreams() {
      return open.size;
    },
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const stream of open) stream.close();
          resolve();
        }, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // Sessions without streams would keep close() waiting; only streams in flight deserve the grace.
        if (open.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      }),
  };
}

function wrap<TRequest, TResponse>(
  stream: ServerHttp2Stream,
  method: GrpcMethod<TRequest, TResponse>,
  forget: () => void,
): GrpcStream<TRequest, TResponse> {
  const encodeAfterPrefix = method.encodeAfterPrefix;
  let onMessage: (message: TRequest) => void = () => {};
  let onClose: (reason: 'completed' | 'cancelled') => void = () => {};
  let closed = false;
  let ended = false;
  let trailers: Readonly<Record<string, string>> = OK_TRAILERS;
  const finish = (reason: 'completed' | 'cancelled') => {
    if (closed) return;
    closed = true;
    forget();
    onClose(reason);
  };
  const end = (status: number = GRPC_STATUS.OK, message?: string) => {
    if (ended || stream.destroyed) return;
    ended = true;
    trailers = {
      'grpc-status': String(status),
      ...(message === undefined ? {} : { 'grpc-message': encodeURIComponent(message) }),
    };
    stream.end();
  };
  // node:http2 copies the headers it is given, so one constant object serves every stream.
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
  // The chunks of the message being received, joined once it is complete (joining at every chunk copied a
  // large message over and over, quadratic in its size); `need` is its framed length once the prefix is in.
  let chunks: Buffer[] = [];
  let have = 0;
  let need: number | undefined;
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    have += chunk.length;
    for (;;) {
      if (need === undefined) {
        if (have < 5) return;
        const prefix = (chunks[0] as Buffer).length >= 5 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        if (prefix[0] !== 0) return end(GRPC_STATUS.UNIMPLEMENTED, 'compressed messages are not supported');
        const length = prefix.readUInt32BE(1);
        if (length > MAX_MESSAGE_BYTES) return end(GRPC_STATUS.RESOURCE_EXHAUSTED, 'message too large');
        need = 5 + length;
      }
      if (have < need) return;
      const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, have);
      const bytes = all.subarray(5, need);
      const rest = all.subarray(need);
      chunks = rest.length === 0 ? [] : [rest];
      have = rest.length;
      need = undefined;
      let message: TRequest;
      try {
        message = method.decode(bytes);
      } catch {
        return end(GRPC_STATUS.INVALID_ARGUMENT, 'undecodable message');
      }
      if (!closed) onMessage(message);
    }
  });
  stream.on('end', () => {
    finish('completed');
    end();
  });
  stream.on('close', () => finish('cancelled'));
  return {
    onMessage: (handler) => {
      onMessage = handler;
    },
    onClose: (handler) => {
      onClose = handler;
    },
    write: (message) => {
      if (ended || stream.destroyed) return;
      if (encodeAfterPrefix !== undefined) {
        const framed = encodeAfterPrefix(message);
        framed[0] = 0;
        framed.writeUInt32BE(framed.length - 5, 1);
        stream.write(framed);
        return;
      }
      const payload = method.encode(message);
      const frame = Buffer.allocUnsafe(5 + payload.length);
      frame[0] = 0;
      frame.writeUInt32BE(payload.length, 1);
      frame.set(payload, 5);
      stream.write(frame);
    },
    end,
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    get closed() {
      return closed;
    },
  };
}
