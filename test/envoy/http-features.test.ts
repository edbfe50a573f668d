// More HTTPRoute features through a real Envoy: request timeouts, retries on status codes, mirrors by
// percentage, WebSocket and h2c backends, explicit redirect ports, and a certificate rotated over SDS
// without draining the listener.
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import {
  gatewayIR,
  listener,
  port,
  route,
  rule,
  secretKey,
  service,
  tlsMaterial,
} from '../../backends/envoy/testdata/gateway-ir.ts';
import {
  createTestCertificates,
  type EchoServer,
  type SeenRequest,
  startH2cEcho,
  startHttpEcho,
  startWebSocketEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { type Envoy, freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { httpRequest } from './http-client.ts';
import { type ScriptedBackend, startScriptedBackend } from './scripted-backend.ts';

function webSocketExchange(port: number, path: string, host: string, message: string): Promise<SeenRequest> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, {
      headers: { host },
      handshakeTimeout: 10_000,
    });
    socket.once('open', () => socket.send(message));
    socket.once('message', (data) => {
      socket.close();
      resolve(JSON.parse(String(data)) as SeenRequest);
    });
    socket.once('error', reject);
  });
}

function certificateServed(port: number, servername: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/', servername, ca, agent: false, timeout: 10_000 },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
        res.resume();
        res.on('end', () => resolve(serial));
      },
    );
    req.on('timeout', () => req.destroy(new Error('HTTPS request timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('more HTTP features through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let envoy: Envoy;
  let plain: EchoServer;
  let mirror: EchoServer;
  let h2c: EchoServer;
  let sockets: EchoServer;
  let slow: ScriptedBackend;
  let flaky: ScriptedBackend;
  let httpPort: number;
  let httpsPort: number;
  let firstCert: TestCertificates;
  let secondCert: TestCertificates;
  const cert = secretKey('rotating');
  const host = { host: 'features.example.com' };

  const irWith = () =>
    gatewayIR([
      port(httpPort, [
        listener('web', 'HTTP', [
          route('features', [
            rule([service('slow', [slow.port])], {
              matches: [{ path: { type: 'PathPrefix', value: '/slow' } }],
              timeouts: { requestMs: 300 },
            }),
            rule([service('flaky', [flaky.port])], {
              matches: [{ path: { type: 'PathPrefix', value: '/flaky' } }],
              retry: { codes: [503], attempts: 2 },
            }),
            rule([service('plain', [plain.port])], {
              matches: [{ path: { type: 'PathPrefix', value: '/never-mirrored' } }],
              filters: [
                {
                  type: 'RequestMirror',
                  requestMirror: { backendRef: { name: 'mirror', port: 8080 }, percent: 0 },
                },
              ],
              mirrors: [service('mirror', [mirror.port])],
            }),
            rule([service('h2c', [h2c.port], { appProtocol: 'kubernetes.io/h2c' })], {
              matches: [{ path: { type: 'PathPrefix', value: '/h2c' } }],
            }),
            rule([service('sockets', [sockets.port], { appProtocol: 'kubernetes.io/ws' })], {
              matches: [{ path: { type: 'PathPrefix', value: '/ws' } }],
            }),
            rule([], {
              matches: [{ path: { type: 'PathPrefix', value: '/port' } }],
              filters: [{ type: 'RequestRedirect', requestRedirect: { port: 8443, statusCode: 307 } }],
            }),
          ]),
        ]),
      ]),
      port(httpsPort, [
        listener('secure', 'HTTPS', [route('secure', [rule([service('plain', [plain.port])])])], {
          hostname: 'secure.example.com',
          tls: { mode: 'Terminate', certificates: [cert] },
        }),
      ]),
    ]);

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    [plain, mirror, h2c, sockets, slow, flaky, httpPort, httpsPort, firstCert, secondCert] =
      await Promise.all([
        startHttpEcho('plain'),
        startHttpEcho('mirror'),
        startH2cEcho('h2c'),
        startWebSocketEcho('sockets'),
        startScriptedBackend(() => ({ status: 200, delayMs: 3_000 })),
        startScriptedBackend((n) => ({ status: n % 2 === 0 ? 503 : 200 })),
        freePort(),
        freePort(),
        createTestCertificates(['secure.example.com']),
        createTestCertificates(['secure.example.com']),
      ]);
    const revision = await fixture.send(irWith(), tlsMaterial(cert, firstCert.cert, firstCert.key));
    envoy = await fixture.startEnvoy(irWith().gateway, { nodeId: 'features' });
    await fixture.waitForSynced('features', revision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all([plain, mirror, h2c, sockets, slow, flaky].map((b) => b?.close()));
  });

  test('times a slow backend out with 504 after the request timeout', async () => {
    const answer = await httpRequest(httpPort, '/slow', host);
    expect(answer.status).toBe(504);
    expect(slow.count()).toBe(1);
  });

  test('retries a 503 from the backend and answers with the retry’s 200', async () => {
    const before = flaky.count();
    const answer = await httpRequest(httpPort, '/flaky', host);
    expect(answer.status).toBe(200);
    expect(flaky.count() - before).toBe(2);
  });

  test('mirrors nothing at 0 percent', async () => {
    for (let i = 0; i < 20; i++)
      expect((await httpRequest(httpPort, '/never-mirrored', host)).seen?.backend).toBe('plain');
    expect(mirror.seen).toHaveLength(0);
  });

  test('speaks HTTP/2 cleartext to an h2c backend', async () => {
    const answer = await httpRequest(httpPort, '/h2c/x', host);
    expect(answer.seen).toMatchObject({ backend: 'h2c', protocol: 'h2c', path: '/h2c/x' });
  });

  test('upgrades to WebSocket through Envoy', async () => {
    const seen = await webSocketExchange(httpPort, '/ws/chat', 'features.example.com', 'hello over ws');
    expect(seen).toMatchObject({
      backend: 'sockets',
      protocol: 'websocket',
      path: '/ws/chat',
      body: 'hello over ws',
    });
  });

  test('redirects to an explicit port with the status code asked for', async () => {
    const answer = await httpRequest(httpPort, '/port/x', host);
    expect(answer.status).toBe(307);
    expect(answer.headers.location).toBe('http://features.example.com:8443/port/x');
  });

  test('rotates a listener certificate over SDS without draining the listener', async () => {
    const first = await certificateServed(httpsPort, 'secure.example.com', firstCert.caCert);
    const modified = (await envoy.admin.stats('^listener_manager\\.listener_modified$'))[
      'listener_manager.listener_modified'
    ];
    await fixture.apply(irWith(), ['features'], tlsMaterial(cert, secondCert.cert, secondCert.key));
    const second = await certificateServed(httpsPort, 'secure.example.com', secondCert.caCert);
    expect(second).not.toBe(first);
    expect(
      (await envoy.admin.stats('^listener_manager\\.listener_modified$'))[
        'listener_manager.listener_modified'
      ],
    ).toBe(modified);
  });
});
