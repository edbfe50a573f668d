// A bounded HTTP/1.1 client for traffic through Envoy: one request, its status, headers and (echo) body.
import { type Agent, request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SeenRequest, TestCertificates } from '../harness/echo/index.ts';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The echo backend's report, when an echo backend answered. */
  readonly seen?: SeenRequest;
}

export interface HttpOptions {
  readonly host?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
  /** A keep-alive agent to send on (its connection reaches one Envoy); default a connection per request. */
  readonly agent?: Agent;
  /** A request body (sent with its Content-Length). */
  readonly body?: string;
}

export function httpRequest(port: number, path: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? 'example.com', ...options.headers },
        agent: options.agent ?? false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const echoed = typeof res.headers['x-echo-backend'] === 'string';
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            ...(echoed ? { seen: JSON.parse(body) as SeenRequest } : {}),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${path} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The backend that answered, or `<status>` when none did. */
export async function answeredBy(port: number, path: string, options: HttpOptions = {}): Promise<string> {
  const answer = await httpRequest(port, path, options);
  return answer.seen?.backend ?? `<${answer.status}>`;
}

/**
 * GET / over HTTPS to 127.0.0.1:`port` as `servername` (SNI and Host), trusting `ca`, presenting `client`'s
 * certificate when given (mutual TLS); resolves the status, rejects when the handshake fails.
 */
export function mtlsGet(
  port: number,
  ca: string,
  client?: Pick<TestCertificates, 'cert' | 'key'>,
  servername = 'secure.example.com',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        servername,
        ca,
        headers: { host: servername },
        agent: false,
        timeout: 10_000,
        ...(client === undefined ? {} : { cert: client.cert, key: client.key }),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('HTTPS request timed out')));
    req.on('error', reject);
    req.end();
  });
}
