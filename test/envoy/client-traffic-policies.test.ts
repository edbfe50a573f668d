// ClientTrafficPolicy through a real Envoy, from hand-written IR: client certificates required on an HTTPS
// listener (mTLS: no certificate or one of another CA never gets an answer, a valid one does), the client IP
// taken from a trusted custom header and from X-Forwarded-For hops (an authorization rule on client CIDRs
// decides on it), and header handling (request ids preserved, underscores rejected).
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
import type { ListenerIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type { ClientTrafficIR } from '../../model/ir/policies.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import {
  createTestCertificates,
  type EchoServer,
  startHttpEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { httpRequest, mtlsGet } from './http-client.ts';

const CTP = resourceKey('gateway.envoyproxy.io', 'ClientTrafficPolicy', 'default', 'clients');
const SP = resourceKey('gateway.envoyproxy.io', 'SecurityPolicy', 'default', 'internal-only');

function withClientTraffic(base: ListenerIR, clientTraffic: Omit<ClientTrafficIR, 'policy'>): ListenerIR {
  return { ...base, clientTraffic: { policy: CTP, ...clientTraffic } };
}

/** Allows only 10.0.0.0/8 as the client address (after client IP detection). */
function internalOnly(base: RuleIR): RuleIR {
  return {
    ...base,
    policies: {
      security: {
        policy: SP,
        authorization: {
          defaultAction: 'Deny',
          rules: [
            {
              name: 'internal',
              action: 'Allow',
              methods: [],
              clientCIDRs: [{ address: '10.0.0.0', prefixLength: 8 }],
              headers: [],
            },
          ],
        },
      },
    },
  };
}

describe('ClientTrafficPolicy through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let echo: EchoServer;
  let server: TestCertificates;
  let trustedClient: TestCertificates;
  let otherClient: TestCertificates;
  let httpsPort: number;
  let headerPort: number;
  let xffPort: number;

  beforeAll(async () => {
    [server, trustedClient, otherClient] = await Promise.all([
      createTestCertificates(['secure.example.com']),
      createTestCertificates(['client-a'], { usage: 'client' }),
      createTestCertificates(['client-b'], { usage: 'client' }),
    ]);
    echo = await startHttpEcho('app');
    [httpsPort, headerPort, xffPort] = await Promise.all([freePort(), freePort(), freePort()]);
    fixture = await EnvoyBackendFixture.start();
    const app = service('app', [echo.port]);
    const cert = secretKey('secure-cert');
    const ir = gatewayIR([
      port(httpsPort, [
        withClientTraffic(
          listener('https', 'HTTPS', [route('secure', [rule([app])])], {
            hostname: 'secure.example.com',
            tls: { mode: 'Terminate', certificates: [cert] },
          }),
          {
            tls: {
              minVersion: 'TLSv1_2',
              ciphers: [],
              ecdhCurves: [],
              signatureAlgorithms: [],
              clientValidation: { required: true, caBundle: trustedClient.caCert },
            },
          },
        ),
      ]),
      port(headerPort, [
        withClientTraffic(listener('by-header', 'HTTP', [route('header', [internalOnly(rule([app]))])]), {
          clientIPDetection: { kind: 'customHeader', header: 'x-real-client', failClosed: true },
          headers: {
            requestID: { generate: true, preserveExternal: true },
            withUnderscoresAction: 'REJECT_REQUEST',
          },
          path: { mergeSlashes: true, escapedSlashesAction: 'REJECT_REQUEST' },
        }),
      ]),
      port(xffPort, [
        withClientTraffic(listener('by-xff', 'HTTP', [route('xff', [internalOnly(rule([app]))])]), {
          clientIPDetection: { kind: 'xff', numTrustedHops: 1 },
        }),
      ]),
    ]);
    await fixture.send(ir, tlsMaterial(cert, server.cert, server.key));
    await fixture.startEnvoy(ir.gateway, { nodeId: 'clients' });
    await fixture.waitForSynced('clients', 1);
  });

  afterAll(async () => {
    await fixture?.stop();
    await echo?.close();
  });

  test('mTLS: a client certificate of the trusted CA is required', async () => {
    expect(await mtlsGet(httpsPort, server.caCert, trustedClient)).toBe(200);
    await expect(mtlsGet(httpsPort, server.caCert)).rejects.toThrow();
    await expect(mtlsGet(httpsPort, server.caCert, otherClient)).rejects.toThrow();
  });

  test('client IP from a trusted custom header: authorization on CIDRs decides on it; without it, 403', async () => {
    const inside = await httpRequest(headerPort, '/', { headers: { 'x-real-client': '10.1.2.3' } });
    expect(inside.status).toBe(200);
    const outside = await httpRequest(headerPort, '/', { headers: { 'x-real-client': '192.0.2.7' } });
    expect(outside.status).toBe(403);
    // failClosed: no header, no client address: refused.
    const missing = await httpRequest(headerPort, '/');
    expect(missing.status).toBe(403);
  });

  test('client IP from X-Forwarded-For with one trusted hop', async () => {
    const inside = await httpRequest(xffPort, '/', { headers: { 'x-forwarded-for': '10.9.9.9' } });
    expect(inside.status).toBe(200);
    const spoofed = await httpRequest(xffPort, '/', {
      headers: { 'x-forwarded-for': '10.9.9.9, 192.0.2.1' },
    });
    expect(spoofed.status).toBe(403);
  });

  test('header handling: an incoming request id is kept; a header with an underscore is rejected', async () => {
    const kept = await httpRequest(headerPort, '/', {
      headers: { 'x-real-client': '10.1.2.3', 'x-request-id': 'from-the-client' },
    });
    expect(kept.seen?.headers['x-request-id']).toBe('from-the-client');
    const underscore = await httpRequest(headerPort, '/', {
      headers: { 'x-real-client': '10.1.2.3', bad_header: 'x' },
    });
    expect(underscore.status).toBe(400);
  });

  test('path normalisation: repeated slashes merged before the backend sees the path; an escaped slash refused', async () => {
    const inside = { 'x-real-client': '10.1.2.3' };
    const merged = await httpRequest(headerPort, '//docs///a', { headers: inside });
    expect([merged.status, merged.seen?.path]).toEqual([200, '/docs/a']);
    const escaped = await httpRequest(headerPort, '/docs%2Fa', { headers: inside });
    expect([escaped.status, escaped.seen]).toEqual([400, undefined]);
  });
});
