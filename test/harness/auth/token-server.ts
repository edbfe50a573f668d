// A fake token service on loopback (an OAuth token endpoint, an OIDC provider, Entra ID, Google's STS and IAM
// Credentials APIs, as a test needs): every request is kept as received — method, path, headers, the body as text
// and as a form — and answered with the JSON the test's `answer` gives for it (a string body is sent as it is,
// as XML: AWS STS's Query API answers).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenServerRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly form: Record<string, string>;
}

export interface TokenServer {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly received: TokenServerRequest[];
  close(): Promise<void>;
}

export type TokenServerAnswer = (request: TokenServerRequest) => { status: number; body: unknown };

export async function startTokenServer(answer: TokenServerAnswer): Promise<TokenServer> {
  const received: TokenServerRequest[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const seen: TokenServerRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        form: Object.fromEntries(new URLSearchParams(body)),
      };
      received.push(seen);
      const out = answer(seen);
      const xml = typeof out.body === 'string';
      response.writeHead(out.status, { 'content-type': xml ? 'text/xml' : 'application/json' });
      response.end(xml ? out.body : JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
