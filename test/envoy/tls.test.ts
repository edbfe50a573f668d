// TLS through a real Envoy: HTTPS listeners terminating with the certificate chosen by SNI (served over SDS),
// and a TLS listener passing the encrypted stream through to a TLSRoute backend by SNI, on one port.
import { request } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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
  startHttpEcho,
  startHttpsEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';

interface TlsAnswer {
  status: number;
  seen: SeenRequest;
  certificate: PeerCertificate;
}

function httpsGet(port: number, servername: string, ca: string): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        servername,
        ca,
        headers: { host: servername },
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const certificate = (res.socket as TLSSocket).getPeerCertificate();
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            seen: JSON.parse(Buffer.concat(chunks).toString('utf8')) as SeenRequest,
            certificate,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('HTTPS request timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('TLS through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let secure: EchoServer;
  let other: EchoServer;
  let passthrough: EchoServer;
  let secureCerts: TestCertificates;
  let otherCerts: TestCertificates;
  let passCerts: TestCertificates;
  let gatewayPort: number;

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    [secureCerts, otherCerts, passCerts] = await Promise.all([
      createTestCertificates(['secure.example.com']),
      createTestCertificates(['other.example.com']),
      createTestCertificates(['pass.example.com']),
    ]);
    [secure, other, passthrough] = await Promise.all([
      startHttpEcho('secure'),
      startHttpEcho('other'),
      startHttpsEcho('passthrough', passCerts),
    ]);
    gatewayPort = await freePort();
    const secureCert = secretKey('secure-cert');
    const otherCert = secretKey('other-cert');
    const ir = gatewayIR([
      port(gatewayPort, [
        listener('secure', 'HTTPS', [route('secure', [rule([service('secure', [secure.port])])])], {
          hostname: 'secure.example.com',
          tls: { mode: 'Terminate', certificates: [secureCert] },
        }),
        listener('other', 'HTTPS', [route('other', [rule([service('other', [other.port])])])], {
          hostname: 'other.example.com',
          tls: { mode: 'Terminate', certificates: [otherCert] },
        }),
        listener(
          'pass',
          'TLS',
          [
            route('pass', [rule([service('passthrough', [passthrough.port])])], {
              kind: 'TLSRoute',
              hostnames: ['pass.example.com'],
            }),
          ],
          { hostname: 'pass.example.com', tls: { mode: 'Passthrough', certificates: [] } },
        ),
      ]),
    ]);
    const tls = {
      ...tlsMaterial(secureCert, secureCerts.cert, secureCerts.key),
      ...tlsMaterial(otherCert, otherCerts.cert, otherCerts.key),
    };
    const revision = await fixture.send(ir, tls);
    await fixture.startEnvoy(ir.gateway, { nodeId: 'tls' });
    await fixture.waitForSynced('tls', revision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all([secure?.close(), other?.close(), passthrough?.close()]);
  });

  test('terminates TLS with the certificate of the listener the SNI names and routes to its backend', async () => {
    const first = await httpsGet(gatewayPort, 'secure.example.com', secureCerts.caCert);
    expect(first.status).toBe(200);
    expect(first.certificate.subject.CN).toBe('secure.example.com');
    expect(first.seen).toMatchObject({ backend: 'secure', protocol: 'http/1.1', host: 'secure.example.com' });
    const second = await httpsGet(gatewayPort, 'other.example.com', otherCerts.caCert);
    expect(second.certificate.subject.CN).toBe('other.example.com');
    expect(second.seen.backend).toBe('other');
  });

  test('passes TLS through by SNI: the backend terminates with its own certificate', async () => {
    const answer = await httpsGet(gatewayPort, 'pass.example.com', passCerts.caCert);
    expect(answer.certificate.subject.CN).toBe('pass.example.com');
    expect(answer.seen).toMatchObject({
      backend: 'passthrough',
      protocol: 'https',
      tls: { servername: 'pass.example.com' },
    });
  });

  test('refuses a handshake for a name no listener serves', async () => {
    await expect(httpsGet(gatewayPort, 'unknown.example.com', secureCerts.caCert)).rejects.toThrow();
  });
});
