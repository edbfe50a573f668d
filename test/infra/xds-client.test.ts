import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TYPE_URL } from '../../protos/index.ts';
import { type EchoServer, echoGrpcClient, startGrpcEcho } from '../harness/echo/index.ts';
import { type AdsServer, startAdsServer, xdsChannelOptions } from '../harness/xds/index.ts';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const fromAds = { ads: {}, resourceApiVersion: 'V3' };

// What a proxyless gRPC client needs for xds:///echo-service: an API listener, its routes, an EDS cluster
// and the cluster's endpoints (in a weighted locality: gRPC ignores localities without a weight).
function publishEchoService(ads: AdsServer, echo: EchoServer): void {
  ads.setResources(TYPE_URL.listener, {
    'echo-service': {
      name: 'echo-service',
      apiListener: {
        apiListener: {
          '@type': HCM,
          rds: { routeConfigName: 'echo-routes', configSource: fromAds },
          httpFilters: [{ name: 'router', typedConfig: { '@type': ROUTER } }],
        },
      },
    },
  });
  ads.setResources(TYPE_URL.routeConfiguration, {
    'echo-routes': {
      name: 'echo-routes',
      virtualHosts: [
        {
          name: 'echo',
          domains: ['*'],
          routes: [{ match: { prefix: '' }, route: { cluster: 'echo-cluster' } }],
        },
      ],
    },
  });
  ads.setResources(TYPE_URL.cluster, {
    'echo-cluster': {
      name: 'echo-cluster',
      type: 'EDS',
      edsClusterConfig: { edsConfig: fromAds },
      lbPolicy: 'ROUND_ROBIN',
    },
  });
  ads.setResources(TYPE_URL.clusterLoadAssignment, {
    'echo-cluster': {
      clusterName: 'echo-cluster',
      endpoints: [
        {
          locality: { region: 'test', zone: 'a' },
          loadBalancingWeight: 1,
          lbEndpoints: [
            { endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: echo.port } } } },
          ],
        },
      ],
    },
  });
}

describe('@grpc/grpc-js-xds against the minimal ADS server', () => {
  let ads: AdsServer;
  let echo: EchoServer;

  beforeAll(async () => {
    [ads, echo] = await Promise.all([startAdsServer(), startGrpcEcho('grpc-echo')]);
    publishEchoService(ads, echo);
  });

  afterAll(async () => {
    await Promise.all([ads?.stop(), echo?.close()]);
  });

  test('receives every resource type, ACKs it, and routes a call via xds:/// to the echo backend', async () => {
    const client = echoGrpcClient(
      'xds:///echo-service',
      xdsChannelOptions(ads.address, { id: 'grpc-client' }),
    );
    try {
      const response = await client.echo('through xds');
      expect(response).toMatchObject({
        backend: 'grpc-echo',
        message: 'through xds',
        path: '/switchyard.test.echo.Echo/Echo',
      });
      expect(echo.seen.at(-1)).toMatchObject({ protocol: 'grpc', body: 'through xds', host: 'echo-service' });
      for (const typeUrl of Object.values(TYPE_URL).filter((url) => url !== TYPE_URL.secret)) {
        const ack = await ads.waitFor(
          (e) => e.nodeId === 'grpc-client' && e.typeUrl === typeUrl && e.kind === 'ack',
        );
        expect(ack.protocol).toBe('sotw');
      }
    } finally {
      client.close();
    }
  });

  test('NACKs a listener it cannot use, and ACKs again once the listener is fixed', async () => {
    const client = echoGrpcClient(
      'xds:///echo-service',
      xdsChannelOptions(ads.address, { id: 'grpc-client-2' }),
    );
    try {
      await client.echo('first');
      const version = ads.setResources(TYPE_URL.listener, { 'echo-service': { name: 'echo-service' } }); // no api_listener
      const nack = await ads.waitFor(
        (e) => e.nodeId === 'grpc-client-2' && e.typeUrl === TYPE_URL.listener && e.kind === 'nack',
      );
      expect(nack.error).toContain('No api_listener');
      expect(nack.version).not.toBe(version); // a NACK names the last version the client accepted
      publishEchoService(ads, echo);
      const since = ads.log.exchanges.length;
      await ads.waitFor(
        (e) => e.nodeId === 'grpc-client-2' && e.typeUrl === TYPE_URL.listener && e.kind === 'ack',
        {
          since,
        },
      );
      expect((await client.echo('second')).backend).toBe('grpc-echo');
    } finally {
      client.close();
    }
  });
});
