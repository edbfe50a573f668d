// A browser's part in OpenID Connect tests: the cookies it holds (set by Set-Cookie, dropped when expired) and
// a visit to the test provider it was redirected to (over HTTPS, trusting the test CA; the server name idp.test).
import { request as httpsRequest } from 'node:https';
import type { HttpAnswer } from './http-client.ts';

/** The cookies a browser would hold: set by Set-Cookie, removed when expired. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  take(answer: HttpAnswer): void {
    for (const line of setCookies(answer)) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const expired = attributes.some(
        (a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()),
      );
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(at + 1));
    }
  }

  get header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get names(): string[] {
    return [...this.#cookies.keys()];
  }
}

/** The Set-Cookie lines of an answer. */
export function setCookies(answer: HttpAnswer): string[] {
  const raw = answer.headers['set-cookie'];
  return Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
}

/** What the provider at `port` answers a browser sent to `location` (its Location, or its status and body). */
export function followToProvider(
  port: number,
  ca: string,
  location: string,
): Promise<{ location: string; status: number; body: string }> {
  const url = new URL(location);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: `${url.pathname}${url.search}`,
        servername: 'idp.test',
        headers: { host: url.host },
        ca,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            location: String(res.headers.location ?? ''),
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * The provider's peers in apps: its CA (ConfigMap idp-ca), the Backends idp (TLS, SNI idp.test) and app, and the
 * Secret oidc-client holding the client secret.
 */
export function oidcPeerManifests(
  idpPort: number,
  appPort: number,
  ca: string,
  clientSecret: string,
): string[] {
  return [
    `apiVersion: v1
kind: ConfigMap
metadata: { name: idp-ca, namespace: apps }
data:
  ca.crt: |
    ${ca.trim().split('\n').join('\n    ')}`,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: idp, namespace: apps }
spec:
  endpoints: [{ ip: { address: 127.0.0.1, port: ${idpPort} } }]
  tls:
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: idp-ca }]
    sni: idp.test`,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: app, namespace: apps }
spec:
  endpoints: [{ ip: { address: 127.0.0.1, port: ${appPort} } }]`,
    `apiVersion: v1
kind: Secret
metadata: { name: oidc-client, namespace: apps }
type: Opaque
stringData: { client-secret: ${clientSecret} }`,
  ];
}
