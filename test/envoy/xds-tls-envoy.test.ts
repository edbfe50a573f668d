// A real Envoy fetching its configuration over TLS: the bootstrap's xDS cluster verifies the controller's
// certificate against the CA and the expected name, and with mutual TLS presents the proxy's own certificate.
// A proxy that does not trust the server, or has no certificate when one is required, gets nothing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewayIR, listener, port, route, rule, service } from '../../backends/envoy/testdata/gateway-ir.ts';
import {
  createTestCertificates,
  type EchoServer,
  startHttpEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { httpRequest } from './http-client.ts';

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Envoy fetching xDS over TLS', () => {
  let fixture: EnvoyBackendFixture;
  let echo: EchoServer;
  let server: TestCertificates;
  let client: TestCertificates;
  let stranger: TestCertificates;
  let dir: string;
  let gatewayPort: number;
  const ir = () =>
    gatewayIR([
      port(gatewayPort, [listener('web', 'HTTP', [route('r', [rule([service('echo', [echo.port])])])])]),
    ]);

  beforeAll(async () => {
    [server, client, stranger] = await Promise.all([
      createTestCertificates(['127.0.0.1', 'xds.switchyard.test']),
      createTestCertificates(['envoy-proxy'], { usage: 'client' }),
      createTestCertificates(['127.0.0.1']),
    ]);
    dir = await mkdtemp(join(tmpdir(), 'switchyard-xds-tls-'));
    await Promise.all([
      writeFile(join(dir, 'client.crt'), client.cert),
      writeFile(join(dir, 'client.key'), client.key, { mode: 0o600 }),
    ]);
    // Mutual TLS: the server requires a client certificate signed by the client CA.
    fixture = await EnvoyBackendFixture.start(
      '127.0.0.1:0',
      ServerCredentials.createSsl(
        Buffer.from(client.caCert),
        [{ private_key: Buffer.from(server.key), cert_chain: Buffer.from(server.cert) }],
        true,
      ),
    );
    echo = await startHttpEcho('echo');
    gatewayPort = await freePort();
    await fixture.send(ir());
  });

  afterAll(async () => {
    await fixture?.stop();
    await echo?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('verifies the server by CA and IP SAN, presents its certificate, and serves traffic', async () => {
    await fixture.startEnvoy(ir().gateway, {
      nodeId: 'mtls',
      xdsTls: {
        ca: { pem: server.caCert },
        client: { certificateFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') },
      },
    });
    const answer = await httpRequest(gatewayPort, '/hello');
    expect(answer.status).toBe(200);
    expect(answer.seen?.path).toBe('/hello');
  });

  test('checks a DNS name too, sent as SNI', async () => {
    const envoy = await fixture.startEnvoy(ir().gateway, {
      nodeId: 'by-name',
      xdsTls: {
        ca: { pem: server.caCert },
        serverName: 'xds.switchyard.test',
        client: { certificateFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') },
      },
    });
    expect(await envoy.admin.stats('^listener_manager\\.total_listeners_active$')).toEqual({
      'listener_manager.total_listeners_active': 1,
    });
  });

  test('gets no configuration when it does not trust the server', async () => {
    const envoy = await fixture.startEnvoy(ir().gateway, {
      nodeId: 'distrustful',
      waitUntil: 'started',
      xdsTls: {
        ca: { pem: stranger.caCert },
        client: { certificateFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') },
      },
    });
    await until(
      async () =>
        ((await envoy.admin.stats('ssl\\.fail_verify_error'))[
          'cluster.switchyard-xds.ssl.fail_verify_error'
        ] ?? 0) > 0,
      'a failed certificate verification',
    );
    expect(await envoy.admin.stats('^listener_manager\\.total_listeners_active$')).toEqual({
      'listener_manager.total_listeners_active': 0,
    });
  });

  test('gets no configuration without a client certificate when the server requires one', async () => {
    const envoy = await fixture.startEnvoy(ir().gateway, {
      nodeId: 'anonymous',
      waitUntil: 'started',
      xdsTls: { ca: { pem: server.caCert } },
    });
    await until(
      async () =>
        ((
          await envoy.admin.stats(
            'switchyard-xds\\.upstream_cx_connect_fail|switchyard-xds\\.upstream_cx_destroy',
          )
        )['cluster.switchyard-xds.upstream_cx_destroy'] ?? 0) > 0,
      'the server closing the connection',
    );
    expect(await envoy.admin.stats('^listener_manager\\.total_listeners_active$')).toEqual({
      'listener_manager.total_listeners_active': 0,
    });
  });
});
