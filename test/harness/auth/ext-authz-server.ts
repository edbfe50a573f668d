// An HTTP external authorization service (Envoy's ext_authz HTTP protocol): it allows a request whose
// `x-allow` header is `yes` and adds `x-auth-user` for the backend; anything else is denied with 403 and a body
// the client sees. Every check it answered is recorded (method, path, headers).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closerFor } from '../echo/close-server.ts';

export interface AuthzCheck {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
}

export interface ExtAuthzServer {
  readonly port: number;
  readonly checks: readonly AuthzCheck[];
  close(): Promise<void>;
}

export async function startHttpExtAuthz(): Promise<ExtAuthzServer> {
  const checks: AuthzCheck[] = [];
  const server = createServer((request, response) => {
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
    );
    checks.push({ method: request.method ?? '', path: request.url ?? '', headers });
    request.resume();
    if (headers['x-allow'] === 'yes') {
      response.writeHead(200, { 'x-auth-user': 'bob' }).end();
    } else {
      response.writeHead(403, { 'content-type': 'text/plain' }).end('denied by ext authz\n');
    }
  });
  const close = closerFor(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, checks, close };
}
