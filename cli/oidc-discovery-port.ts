// The control plane's one outbound call of its own: an OpenID Connect discovery document
// (`<issuer>/.well-known/openid-configuration`, for SecurityPolicy `oidc` without both endpoints). A plain GET,
// bounded in time and size, trusting the system's CAs plus the provider backend's CA bundle when it has one (as
// Envoy Gateway uses the provider's TLS settings); redirects are not followed. Whatever happens comes back as a
// response or an error text, never a throw: the verdict and its message are the model's
// (model/policies/oidc-discovery.ts).
import type { IncomingMessage } from 'node:http';
import type { FetchDiscoveryPort } from '../actors/policies/oidc-discovery.ts';
import type { OidcDiscoveryResponse } from '../model/policies/oidc-discovery.ts';

// Taken from the module object: an `import` of node:http has Node load undici (fetch, WebSocket) for that module's
// lazy exports, ~40 ms of every start (bench/translate.startup, cli/startup-imports.test.ts).
// node:https and node:tls likewise, taken when a request needs them: loading TLS is ~15 ms of CPU, and every plane
// (translate's too) builds this port whether or not a policy ever asks.
const { request: httpRequest } = process.getBuiltinModule('node:http');

/** Envoy Gateway's timeout for the discovery request. */
export const DISCOVERY_TIMEOUT_MS = 5_000;
const MAX_DOCUMENT_BYTES = 256 * 1024;

export function oidcDiscoveryPort(options: { readonly timeoutMs?: number } = {}): FetchDiscoveryPort {
  const timeoutMs = options.timeoutMs ?? DISCOVERY_TIMEOUT_MS;
  return (request) =>
    new Promise<OidcDiscoveryResponse>((resolve) => {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        resolve({ error: 'not a URL' });
        return;
      }
      const https = url.protocol === 'https:';
      const send = https ? process.getBuiltinModule('node:https').request : httpRequest;
      const done = (answer: OidcDiscoveryResponse) => {
        clearTimeout(timer);
        resolve(answer);
      };
      const outgoing = send(
        url,
        {
          method: 'GET',
          headers: { accept: 'application/json' },
          agent: false,
          ...(https && request.caBundle !== undefined
            ? { ca: [...process.getBuiltinModule('node:tls').rootCertificates, request.caBundle] }
            : {}),
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_DOCUMENT_BYTES) {
              response.destroy();
              done({ error: `the document is larger than ${MAX_DOCUMENT_BYTES} bytes` });
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () =>
            done({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', (error) => done({ error: error.message }));
        },
      );
      const timer = setTimeout(() => {
        outgoing.destroy();
        done({ error: `no answer within ${timeoutMs} ms` });
      }, timeoutMs);
      outgoing.on('error', (error) => done({ error: error.message }));
      outgoing.end();
    });
}
