// A JWKS endpoint over HTTPS (certificate from createTestCertificates): serves whatever document it is given,
// counts fetches, and can be switched to another document (key rotation).
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { closerFor } from '../echo/close-server.ts';
import type { TestCertificates } from '../echo/test-certificates.ts';

export interface JwksServer {
  readonly port: number;
  readonly path: string;
  /** How many times the JWKS was fetched. */
  readonly fetches: number;
  serve(document: string): void;
  close(): Promise<void>;
}

export async function startJwksServer(certificates: TestCertificates, document: string): Promise<JwksServer> {
  let current = document;
  let fetches = 0;
  const path = '/.well-known/jwks.json';
  const server = createServer({ key: certificates.key, cert: certificates.cert }, (request, response) => {
    if (request.url !== path) {
      response.writeHead(404).end();
      return;
    }
    fetches++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(current);
  });
  const close = closerFor(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    path,
    get fetches() {
      return fetches;
    },
    serve(next) {
      current = next;
    },
    close,
  };
}
