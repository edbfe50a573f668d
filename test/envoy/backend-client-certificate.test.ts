// A Gateway's spec.tls.backend.clientCertificateRef through a real Envoy: a backend that requires mutual TLS
// answers once the Gateway presents the referenced certificate; without one it cannot be reached, and when the
// reference is invalid the Gateway sends it nothing at all (fail closed), rather than connecting without it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewayIR, listener, port, route, rule, service } from '../../backends/envoy/testdata/gateway-ir.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import { formatResourceKey, resourceKey } from '../../model/resources/resource-key.ts';
import {
  createTestCertificates,
  type EchoServer,
  startHttpsEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { httpRequest } from './http-client.ts';

const CLIENT_SECRET = resourceKey('', 'Secret', 'default', 'gateway-client');

describe('Gateway backend client certificate through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let backend: EchoServer;
  let serverCerts: TestCertificates;
  let clientCerts: TestCertificates;
  let gatewayPort: number;
  let ir: GatewayIR;

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    [serverCerts, clientCerts] = await Promise.all([
      createTestCertificates(['mtls.internal']),
      createTestCertificates(['gateway.example'], { usage: 'client' }),
    ]);
    backend = await startHttpsEcho('mtls-backend', serverCerts, { clientCa: clientCerts.caCert });
    gatewayPort = await freePort();
    ir = gatewayIR([
      port(gatewayPort, [
        listener('web', 'HTTP', [
          route('mtls', [
            rule([
              service('mtls', [backend.port], {
                tls: {
                  policy: resourceKey('gateway.networking.k8s.io', 'BackendTLSPolicy', 'default', 'mtls'),
                  hostname: 'mtls.internal',
                  subjectAltNames: [],
                  caCertificates: [resourceKey('', 'ConfigMap', 'default', 'ca')],
                  caBundle: serverCerts.caCert,
                },
              }),
            ]),
          ]),
        ]),
      ]),
    ]);
    const revision = await fixture.send(ir);
    await fixture.startEnvoy(ir.gateway, { nodeId: 'backend-client-cert' });
    await fixture.waitForSynced('backend-client-cert', revision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await backend?.close();
  });

  const withCertificate = (backendClientCertificate: GatewayIR['backendClientCertificate']) => ({
    ...ir,
    backendClientCertificate,
  });

  test('without a client certificate the mTLS backend refuses the handshake', async () => {
    const before = backend.seen.length;
    const answer = await httpRequest(gatewayPort, '/');
    expect(answer.status).toBe(503);
    // Envoy connected and the handshake failed.
    expect(answer.body).toMatch(/^upstream connect error/);
    expect(backend.seen.length).toBe(before);
  });

  test('presents the referenced certificate: the mTLS backend answers', async () => {
    const revision = await fixture.send(withCertificate({ secret: CLIENT_SECRET }), {
      [formatResourceKey(CLIENT_SECRET)]: { certificateChain: clientCerts.cert, privateKey: clientCerts.key },
    });
    await fixture.waitForSynced('backend-client-cert', revision);
    const answer = await httpRequest(gatewayPort, '/with-identity');
    expect(answer.status).toBe(200);
    expect(answer.seen?.path).toBe('/with-identity');
    expect(answer.seen?.tls?.servername).toBe('mtls.internal');
  });

  test('an invalid reference sends the TLS backend nothing (fail closed)', async () => {
    const revision = await fixture.send(withCertificate({ problem: 'Secret default/gone not found' }));
    await fixture.waitForSynced('backend-client-cert', revision);
    const before = backend.seen.length;
    const answer = await httpRequest(gatewayPort, '/');
    expect(answer.status).toBe(503);
    // Envoy did not even connect: the cluster has no endpoints.
    expect(answer.body).toBe('no healthy upstream');
    expect(backend.seen.length).toBe(before);
  });
});
