// HTTP echo backends: HTTP/1.1, cleartext HTTP/2 (h2c, prior knowledge) and HTTPS (HTTP/2 or HTTP/1.1 by
// ALPN). Each answers every request with the JSON of what it saw and the header x-echo-backend.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  createServer as createH2cServer,
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { closerFor } from './close-server.ts';
import {
  type EchoProtocol,
  type EchoServer,
  plainHeaders,
  SeenLog,
  type SeenRequest,
} from './seen-request.ts';
import type { TestCertificates } from './test-certificates.ts';

const MAX_BODY_BYTES = 1024 * 1024;

/** HTTP/1.1 on a loopback port, or on a Unix socket at `options.path`. */
export function startHttpEcho(
  backend: string,
  options: { readonly path?: string } = {},
): Promise<EchoServer> {
  const log = new SeenLog();
  return listen(
    createHttpServer(echoHandler(backend, 'http/1.1', log)),
    backend,
    'http/1.1',
    log,
    options.path,
  );
}

export function startH2cEcho(backend: string): Promise<EchoServer> {
  const log = new SeenLog();
  return listen(createH2cServer(echoHandler(backend, 'h2c', log)), backend, 'h2c', log);
}

/**
 * HTTPS with a certificate from createTestCertificates; offers h2 and http/1.1 by ALPN. With `clientCa`, a client
 * certificate signed by that CA is required (mutual TLS): a handshake without one fails.
 */
export function startHttpsEcho(
  backend: string,
  certificates: TestCertificates,
  options: { readonly clientCa?: string } = {},
): Promise<EchoServer> {
  const log = new SeenLog();
  const server = createSecureServer(
    {
      key: certificates.key,
      cert: certificates.cert,
      allowHTTP1: true,
      ...(options.clientCa === undefined
        ? {}
        : { ca: options.clientCa, requestCert: true, rejectUnauthorized: true }),
    },
    echoHandler(backend, 'https', log),
  );
  return listen(server, backend, 'https', log);
}

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

function echoHandler(backend: string, protocol: EchoProtocol, log: SeenLog) {
  return (request: AnyRequest, response: AnyResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      const socket = request.socket as Partial<TLSSocket>;
      const seen: SeenRequest = log.add({
        backend,
        protocol,
        method: request.method ?? '',
        path: request.url ?? '',
        host: (request.headers[':authority'] as string | undefined) ?? request.headers.host ?? '',
        headers: plainHeaders(request.headers),
        body: Buffer.concat(chunks).toString('utf8'),
        ...(protocol === 'https'
          ? { tls: { servername: String(socket.servername || ''), alpn: String(socket.alpnProtocol || '') } }
          : {}),
      });
      const status = size > MAX_BODY_BYTES ? 413 : 200;
      (response as ServerResponse).writeHead(status, {
        'content-type': 'application/json',
        'x-echo-backend': backend,
      });
      response.end(JSON.stringify(seen));
    });
  };
}

async function listen(
  server: Server,
  backend: string,
  protocol: EchoProtocol,
  log: SeenLog,
  path?: string,
): Promise<EchoServer> {
  const close = closerFor(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (path === undefined) server.listen(0, '127.0.0.1', resolve);
    else server.listen(path, resolve);
  });
  const port = path === undefined ? (server.address() as AddressInfo).port : 0;
  return {
    backend,
    protocol,
    port,
    address: path ?? `127.0.0.1:${port}`,
    seen: log.seen,
    waitForSeen: (count, timeoutMs) => log.waitForSeen(count, timeoutMs),
    close,
  };
}
