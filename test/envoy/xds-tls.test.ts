// The ADS server over TLS: a client trusting the server's CA gets its snapshot; with client certificates
// required (mutual TLS), a client without one is refused at the handshake. (The harness's certificates are
// for servers only — extendedKeyUsage serverAuth — so a full mutual handshake is not exercised here.)
import { credentials, ServerCredentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { translateGateway, XdsServer } from '../../backends/envoy/index.ts';
import { AdsTestClient } from '../../backends/envoy/testdata/ads-test-client.ts';
import { gatewayIR, listener, port, route, rule, service } from '../../backends/envoy/testdata/gateway-ir.ts';
import { TYPE_URL } from '../../protos/index.ts';
import { createTestCertificates, type TestCertificates } from '../harness/echo/index.ts';

describe('ADS over TLS', () => {
  let server: XdsServer;
  let mutual: XdsServer;
  let serverCerts: TestCertificates;
  let clientCerts: TestCertificates;

  beforeAll(async () => {
    [serverCerts, clientCerts] = await Promise.all([
      createTestCertificates(['localhost', '127.0.0.1']),
      createTestCertificates(['envoy-client']),
    ]);
    const keyPair = [
      { private_key: Buffer.from(serverCerts.key), cert_chain: Buffer.from(serverCerts.cert) },
    ];
    [server, mutual] = await Promise.all([
      XdsServer.start({ address: '127.0.0.1:0', credentials: ServerCredentials.createSsl(null, keyPair) }),
      XdsServer.start({
        address: '127.0.0.1:0',
        credentials: ServerCredentials.createSsl(Buffer.from(clientCerts.caCert), keyPair, true),
      }),
    ]);
    const ir = gatewayIR([port(80, [listener('web', 'HTTP', [route('r', [rule([service('a', [9000])])])])])]);
    server.publish(ir.gateway, 1, translateGateway(ir, {}));
    mutual.publish(ir.gateway, 1, translateGateway(ir, {}));
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), mutual?.stop()]);
  });

  const node = { id: 'p', cluster: 'default/gw', user_agent_name: 'test' };

  test('serves a client that trusts the server certificate', async () => {
    const client = new AdsTestClient(server.address, credentials.createSsl(Buffer.from(serverCerts.caCert)));
    const stream = client.delta();
    stream.send({ node, type_url: TYPE_URL.cluster });
    expect((await stream.next()).resources.map((r) => r.name)).toEqual(['service/default/a/8080']);
    stream.close();
    client.close();
  });

  test('refuses a client without a certificate when client certificates are required', async () => {
    const client = new AdsTestClient(mutual.address, credentials.createSsl(Buffer.from(serverCerts.caCert)));
    const stream = client.delta();
    stream.send({ node, type_url: TYPE_URL.cluster });
    await expect(stream.next(10_000)).rejects.toThrow(/UNAVAILABLE|handshake|certificate/i);
    stream.close();
    client.close();
  });
});
