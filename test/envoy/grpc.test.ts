// GRPCRoute through a real Envoy (HTTP/2 to the backends, method and header matching), and the independent
// xDS client @grpc/grpc-js-xds resolving the same route from our ADS server without any proxy.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewayIR, listener, port, route, rule, service } from '../../backends/envoy/testdata/gateway-ir.ts';
import { type EchoServer, echoGrpcClient, startGrpcEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { xdsChannelOptions } from '../harness/xds/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';

const SERVICE = 'switchyard.test.echo.Echo';

describe('gRPC routing', () => {
  let fixture: EnvoyBackendFixture;
  let echoA: EchoServer;
  let echoB: EchoServer;
  let gatewayPort: number;

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    [echoA, echoB] = await Promise.all([startGrpcEcho('echo-a'), startGrpcEcho('echo-b')]);
    gatewayPort = await freePort();
    const ir = gatewayIR([
      port(gatewayPort, [
        listener('grpc', 'HTTP', [
          route(
            'echo',
            [
              rule([service('echo-a', [echoA.port])], {
                matches: [{ method: { type: 'Exact', service: SERVICE } }],
              }),
              rule([service('echo-b', [echoB.port])], {
                matches: [
                  {
                    method: { type: 'Exact', service: SERVICE, method: 'Echo' },
                    headers: [{ type: 'Exact', name: 'x-variant', value: 'b' }],
                  },
                ],
                filters: [
                  {
                    type: 'RequestHeaderModifier',
                    requestHeaderModifier: { add: [{ name: 'x-routed', value: 'grpc' }] },
                  },
                ],
              }),
            ],
            { kind: 'GRPCRoute', hostnames: ['grpc.example.com'] },
          ),
        ]),
      ]),
    ]);
    const revision = await fixture.send(ir);
    await fixture.startEnvoy(ir.gateway, { nodeId: 'grpc-envoy' });
    await fixture.waitForSynced('grpc-envoy', revision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all([echoA?.close(), echoB?.close()]);
  });

  test('Envoy routes gRPC calls by service, method and header over HTTP/2 to the backends', async () => {
    const client = echoGrpcClient(`127.0.0.1:${gatewayPort}`, {
      'grpc.default_authority': 'grpc.example.com',
    });
    try {
      expect(await client.echo('hello')).toMatchObject({
        backend: 'echo-a',
        message: 'hello',
        path: `/${SERVICE}/Echo`,
      });
      const routed = await client.echo('to b', { metadata: { 'x-variant': 'b' } });
      expect(routed).toMatchObject({ backend: 'echo-b', message: 'to b' });
      expect(routed.metadata['x-routed']).toBe('grpc');
    } finally {
      client.close();
    }
  });

  test('@grpc/grpc-js-xds resolves the GRPCRoute from our ADS server and reaches the echo backend', async () => {
    const client = echoGrpcClient(
      `xds:///grpc.example.com:${gatewayPort}`,
      xdsChannelOptions(fixture.xds.address, { id: 'grpc-client', cluster: 'default/gw' }),
    );
    try {
      expect(await client.echo('proxyless')).toMatchObject({ backend: 'echo-a', message: 'proxyless' });
      expect(await client.echo('header', { metadata: { 'x-variant': 'b' } })).toMatchObject({
        backend: 'echo-b',
      });
      const status = await fixture.waitForStatus(
        (s) => s.proxies.some((p) => p.proxy === 'grpc-client' && p.ackedRevision !== undefined),
        'the gRPC client ACKs',
      );
      expect(status.proxies.find((p) => p.proxy === 'grpc-client')?.rejection).toBeUndefined();
    } finally {
      client.close();
    }
  });
});
