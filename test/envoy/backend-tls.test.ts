// BackendTLSPolicy through a real Envoy: the upstream connection uses TLS with the policy's hostname as SNI,
// the backend certificate must chain to the policy's CA bundle and carry the expected name, else the request
// fails with 503 rather than reaching a backend that could not prove who it is.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewayIR, listener, port, route, rule, service } from '../../backends/envoy/testdata/gateway-ir.ts';
import type { BackendTLS } from '../../model/ir/backends.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import {
  createTestCertificates,
  type EchoServer,
  startHttpsEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { httpRequest } from './http-client.ts';

function policy(
  hostname: string,
  caBundle: string,
  subjectAltNames: BackendTLS['subjectAltNames'] = [],
): BackendTLS {
  return {
    policy: resourceKey('gateway.networking.k8s.io', 'BackendTLSPolicy', 'default', hostname),
    hostname,
    subjectAltNames,
    caCertificates: [resourceKey('', 'ConfigMap', 'default', 'ca')],
    caBundle,
  };
}

describe('BackendTLSPolicy through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let backend: EchoServer;
  let certs: TestCertificates;
  let strangerCerts: TestCertificates;
  let gatewayPort: number;

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    [certs, strangerCerts] = await Promise.all([
      createTestCertificates(['api.internal', 'alias.internal']),
      createTestCertificates(['api.internal']),
    ]);
    backend = await startHttpsEcho('secure-backend', certs);
    gatewayPort = await freePort();
    const to = (path: string, tls: BackendTLS, appProtocol?: string) =>
      rule(
        [
          service(`svc${path.replaceAll('/', '-')}`, [backend.port], {
            tls,
            ...(appProtocol === undefined ? {} : { appProtocol }),
          }),
        ],
        { matches: [{ path: { type: 'PathPrefix', value: path } }] },
      );
    const ir = gatewayIR([
      port(gatewayPort, [
        listener('web', 'HTTP', [
          route('tls', [
            to('/verified', policy('api.internal', certs.caCert)),
            to('/verified-h2', policy('api.internal', certs.caCert), 'kubernetes.io/h2c'),
            to(
              '/by-san',
              policy('api.internal', certs.caCert, [{ type: 'Hostname', value: 'alias.internal' }]),
            ),
            to('/wrong-name', policy('other.internal', certs.caCert)),
            to('/wrong-ca', policy('api.internal', strangerCerts.caCert)),
          ]),
        ]),
      ]),
    ]);
    const revision = await fixture.send(ir);
    await fixture.startEnvoy(ir.gateway, { nodeId: 'backend-tls' });
    await fixture.waitForSynced('backend-tls', revision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await backend?.close();
  });

  test('originates TLS with the policy hostname as SNI and verifies the backend against its CA', async () => {
    const answer = await httpRequest(gatewayPort, '/verified/x');
    expect(answer.status).toBe(200);
    expect(answer.seen?.tls).toEqual({ servername: 'api.internal', alpn: 'http/1.1' });
    expect(answer.seen?.path).toBe('/verified/x');
  });

  test('speaks HTTP/2 over TLS (ALPN h2) when the backend asks for HTTP/2', async () => {
    const answer = await httpRequest(gatewayPort, '/verified-h2');
    expect(answer.status).toBe(200);
    expect(answer.seen?.tls?.alpn).toBe('h2');
  });

  test('checks the subjectAltNames instead of the hostname when the policy lists them', async () => {
    const answer = await httpRequest(gatewayPort, '/by-san');
    expect(answer.status).toBe(200);
    expect(answer.seen?.tls?.servername).toBe('api.internal');
  });

  test('refuses a backend whose certificate does not carry the expected name, or is not signed by the CA', async () => {
    const before = backend.seen.length;
    expect((await httpRequest(gatewayPort, '/wrong-name')).status).toBe(503);
    expect((await httpRequest(gatewayPort, '/wrong-ca')).status).toBe(503);
    expect(backend.seen.length).toBe(before);
  });
});
