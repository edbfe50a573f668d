// Envoy Gateway Backends through a real Envoy: a DNS name Envoy resolves itself (localhost), an IP address, a Unix
// socket, HTTP/2 by appProtocol, and TLS to the backend — SNI fixed, from the endpoint's hostname or from the
// request's Host, the certificate checked against the Backend's CA (a wrong CA or name answers 503 and the backend
// never sees the request), not checked at all with insecureSkipVerify, and a client certificate for mutual TLS.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  envoyGatewayBackend,
  gatewayIR,
  listener,
  port,
  route,
  rule,
  secretKey,
  tlsMaterial,
} from '../../backends/envoy/testdata/gateway-ir.ts';
import type { UpstreamTLS } from '../../model/ir/envoy-gateway.ts';
import {
  createTestCertificates,
  type EchoServer,
  startH2cEcho,
  startHttpEcho,
  startHttpsEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { httpRequest } from './http-client.ts';

function tls(options: Partial<UpstreamTLS> & Pick<UpstreamTLS, 'verify'>): UpstreamTLS {
  return { minVersion: '1.2', maxVersion: '1.3', ...options };
}

describe('Envoy Gateway Backends through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let dir: string;
  let plain: EchoServer;
  let unix: EchoServer;
  let h2c: EchoServer;
  let secure: EchoServer;
  let mutual: EchoServer;
  let certs: TestCertificates;
  let stranger: TestCertificates;
  let client: TestCertificates;
  let gatewayPort: number;

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    dir = await mkdtemp(join(tmpdir(), 'switchyard-uds-'));
    [certs, stranger, client] = await Promise.all([
      createTestCertificates(['api.internal']),
      createTestCertificates(['api.internal']),
      createTestCertificates(['gateway-client'], { usage: 'client' }),
    ]);
    [plain, unix, h2c, secure, mutual] = await Promise.all([
      startHttpEcho('plain'),
      startHttpEcho('unix', { path: join(dir, 'echo.sock') }),
      startH2cEcho('h2c'),
      startHttpsEcho('secure', certs),
      startHttpsEcho('mutual', certs, { clientCa: client.caCert }),
    ]);
    gatewayPort = await freePort();
    const at = (path: string, backend: ReturnType<typeof envoyGatewayBackend>) =>
      rule([backend], { matches: [{ path: { type: 'PathPrefix', value: path } }] });
    const secureAt = { address: '127.0.0.1', port: secure.port };
    const caBundle = { caBundle: certs.caCert };
    const ir = gatewayIR([
      port(gatewayPort, [
        listener('web', 'HTTP', [
          route('backends', [
            at(
              '/fqdn',
              envoyGatewayBackend('fqdn', [{ address: 'localhost', port: plain.port }], { fqdn: true }),
            ),
            at('/ip', envoyGatewayBackend('ip', [{ address: '127.0.0.1', port: plain.port }])),
            at('/unix', envoyGatewayBackend('unix', [{ path: unix.address }])),
            at(
              '/h2c',
              envoyGatewayBackend('h2c', [{ address: '127.0.0.1', port: h2c.port }], {
                appProtocol: 'kubernetes.io/h2c',
              }),
            ),
            at(
              '/tls-sni',
              envoyGatewayBackend('tls-sni', [secureAt], {
                tls: tls({ sni: 'api.internal', verify: caBundle }),
              }),
            ),
            at(
              '/tls-wrong-ca',
              envoyGatewayBackend('tls-wrong-ca', [secureAt], {
                tls: tls({ sni: 'api.internal', verify: { caBundle: stranger.caCert } }),
              }),
            ),
            at(
              '/tls-wrong-name',
              envoyGatewayBackend('tls-wrong-name', [secureAt], {
                tls: tls({ sni: 'other.internal', verify: caBundle }),
              }),
            ),
            at(
              '/tls-endpoint-name',
              envoyGatewayBackend('tls-endpoint-name', [{ ...secureAt, hostname: 'api.internal' }], {
                tls: tls({ autoSNIFromEndpointHostname: true, verify: caBundle }),
              }),
            ),
            at('/tls-host', envoyGatewayBackend('tls-host', [secureAt], { tls: tls({ verify: caBundle }) })),
            // The same under a BackendTrafficPolicy setting HTTP options (an idle timeout, the client's protocol).
            {
              ...at(
                '/tls-host-with-policy',
                envoyGatewayBackend('tls-host-with-policy', [secureAt], { tls: tls({ verify: caBundle }) }),
              ),
              policies: {
                traffic: {
                  policy: {
                    group: 'gateway.envoyproxy.io',
                    kind: 'BackendTrafficPolicy',
                    namespace: 'default',
                    name: 'p',
                  },
                  cluster: { connectionIdleTimeoutMs: 30_000, useClientProtocol: true },
                },
              },
            },
            at(
              '/tls-insecure',
              envoyGatewayBackend('tls-insecure', [secureAt], {
                tls: tls({ sni: 'api.internal', verify: 'InsecureSkipVerify' }),
              }),
            ),
            at(
              '/tls-13',
              envoyGatewayBackend('tls-13', [secureAt], {
                tls: tls({ sni: 'api.internal', verify: caBundle, minVersion: '1.3' }),
              }),
            ),
            at(
              '/mtls',
              envoyGatewayBackend('mtls', [{ address: '127.0.0.1', port: mutual.port }], {
                tls: tls({ sni: 'api.internal', verify: caBundle, clientCertificate: secretKey('client') }),
              }),
            ),
            at(
              '/mtls-without-certificate',
              envoyGatewayBackend('mtls-without', [{ address: '127.0.0.1', port: mutual.port }], {
                tls: tls({ sni: 'api.internal', verify: caBundle }),
              }),
            ),
          ]),
        ]),
      ]),
    ]);
    const revision = await fixture.send(ir, tlsMaterial(secretKey('client'), client.cert, client.key));
    await fixture.startEnvoy(ir.gateway, { nodeId: 'eg-backends' });
    await fixture.waitForSynced('eg-backends', revision);
  }, 60_000);

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all([plain, unix, h2c, secure, mutual].map((server) => server?.close()));
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('a DNS name is resolved by Envoy (STRICT_DNS) and reached', async () => {
    const answer = await httpRequest(gatewayPort, '/fqdn/a');
    expect([answer.status, answer.seen?.backend, answer.seen?.path]).toEqual([200, 'plain', '/fqdn/a']);
  });

  test('an IP address is reached', async () => {
    const answer = await httpRequest(gatewayPort, '/ip');
    expect([answer.status, answer.seen?.backend]).toEqual([200, 'plain']);
  });

  test('a Unix socket is reached', async () => {
    const answer = await httpRequest(gatewayPort, '/unix/x');
    expect([answer.status, answer.seen?.backend, answer.seen?.path]).toEqual([200, 'unix', '/unix/x']);
  });

  test('appProtocol h2c speaks HTTP/2 without TLS', async () => {
    const answer = await httpRequest(gatewayPort, '/h2c');
    expect([answer.status, answer.seen?.protocol]).toEqual([200, 'h2c']);
  });

  test('TLS with a fixed SNI, checked against the Backend CA', async () => {
    const answer = await httpRequest(gatewayPort, '/tls-sni');
    expect(answer.status).toBe(200);
    expect(answer.seen?.tls).toEqual({ servername: 'api.internal', alpn: 'http/1.1' });
  });

  test('a certificate from another CA, or for another name, answers 503 and reaches nothing', async () => {
    const before = secure.seen.length;
    expect((await httpRequest(gatewayPort, '/tls-wrong-ca')).status).toBe(503);
    expect((await httpRequest(gatewayPort, '/tls-wrong-name')).status).toBe(503);
    expect(secure.seen.length).toBe(before);
  });

  test("SNI from the endpoint's hostname", async () => {
    const answer = await httpRequest(gatewayPort, '/tls-endpoint-name');
    expect([answer.status, answer.seen?.tls?.servername]).toEqual([200, 'api.internal']);
  });

  test("without SNI settings the request's Host is the SNI, and the certificate must be for it", async () => {
    const good = await httpRequest(gatewayPort, '/tls-host', { host: 'api.internal' });
    expect([good.status, good.seen?.tls?.servername]).toEqual([200, 'api.internal']);
    expect((await httpRequest(gatewayPort, '/tls-host', { host: 'elsewhere.example' })).status).toBe(503);
  });

  test('a BackendTrafficPolicy with HTTP options keeps the SNI from the Host and the certificate check', async () => {
    const good = await httpRequest(gatewayPort, '/tls-host-with-policy', { host: 'api.internal' });
    expect([good.status, good.seen?.tls?.servername]).toEqual([200, 'api.internal']);
    const before = secure.seen.length;
    const wrong = await httpRequest(gatewayPort, '/tls-host-with-policy', { host: 'elsewhere.example' });
    expect(wrong.status).toBe(503);
    expect(secure.seen.length).toBe(before);
  });

  test('insecureSkipVerify connects whoever signed the certificate', async () => {
    expect((await httpRequest(gatewayPort, '/tls-insecure')).status).toBe(200);
  });

  test('minVersion 1.3 is honoured (the handshake still succeeds against a TLS 1.3 server)', async () => {
    expect((await httpRequest(gatewayPort, '/tls-13')).status).toBe(200);
  });

  test('a client certificate from a Secret satisfies a backend that requires one; none is refused', async () => {
    const answer = await httpRequest(gatewayPort, '/mtls');
    expect([answer.status, answer.seen?.backend]).toEqual([200, 'mutual']);
    const before = mutual.seen.length;
    expect((await httpRequest(gatewayPort, '/mtls-without-certificate')).status).toBe(503);
    expect(mutual.seen.length).toBe(before);
  });
});
