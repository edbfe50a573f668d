import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { envoyApi, TYPE_URL } from '../../protos/index.ts';
import { type EchoServer, type SeenRequest, startHttpEcho } from '../harness/echo/index.ts';
import { type Envoy, envoyBootstrap, freePort, startEnvoy } from '../harness/envoy/index.ts';
import { type AdsServer, startAdsServer } from '../harness/xds/index.ts';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const fromAds = { ads: {}, resourceApiVersion: 'V3' };

// Listener → RDS route config → EDS cluster → the echo backend: every hop comes over ADS.
function resourcesFor(echo: EchoServer, listenerPort: number) {
  return {
    [TYPE_URL.cluster]: {
      echo: { name: 'echo', type: 'EDS', connectTimeout: '2s', edsClusterConfig: { edsConfig: fromAds } },
    },
    [TYPE_URL.clusterLoadAssignment]: {
      echo: {
        clusterName: 'echo',
        endpoints: [
          {
            lbEndpoints: [
              { endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: echo.port } } } },
            ],
          },
        ],
      },
    },
    [TYPE_URL.listener]: {
      http: {
        name: 'http',
        address: { socketAddress: { address: '127.0.0.1', portValue: listenerPort } },
        filterChains: [
          {
            filters: [
              {
                name: 'envoy.filters.network.http_connection_manager',
                typedConfig: {
                  '@type': HCM,
                  statPrefix: 'http',
                  rds: { routeConfigName: 'routes', configSource: fromAds },
                  httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': ROUTER } }],
                },
              },
            ],
          },
        ],
      },
    },
    [TYPE_URL.routeConfiguration]: {
      routes: {
        name: 'routes',
        virtualHosts: [
          {
            name: 'echo',
            domains: ['echo.test'],
            routes: [{ match: { prefix: '/' }, route: { cluster: 'echo' } }],
          },
        ],
      },
    },
  };
}

function post(port: number, path: string, body: string): Promise<{ status: number; seen: SeenRequest }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: { host: 'echo.test', 'x-test': 'through-envoy' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}: ${text}`));
          else resolve({ status: response.statusCode, seen: JSON.parse(text) as SeenRequest });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

test('the generated bootstrap is a valid Envoy Bootstrap', () => {
  const bootstrap = envoyBootstrap({ adsAddress: '127.0.0.1:18000', nodeId: 'n', cluster: 'c', delta: true });
  const json = envoyApi().toJson(
    'envoy.config.bootstrap.v3.Bootstrap',
    envoyApi().fromJson('envoy.config.bootstrap.v3.Bootstrap', bootstrap),
  );
  expect(json).toMatchObject({ dynamicResources: { adsConfig: { apiType: 'DELTA_GRPC' } } });
});

describe.each([
  { protocol: 'sotw', delta: false },
  { protocol: 'delta', delta: true },
] as const)('Envoy over $protocol ADS', ({ protocol, delta }) => {
  let ads: AdsServer;
  let echo: EchoServer;
  let envoy: Envoy | undefined;
  let listenerPort: number;
  const nodeId = `envoy-${protocol}`;

  beforeAll(async () => {
    [ads, echo, listenerPort] = await Promise.all([
      startAdsServer(),
      startHttpEcho(`echo-${protocol}`),
      freePort(),
    ]);
    for (const [typeUrl, resources] of Object.entries(resourcesFor(echo, listenerPort))) {
      ads.setResources(typeUrl, resources);
    }
    envoy = await startEnvoy({ adsAddress: ads.address, nodeId, delta });
  });

  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => console.error(`Envoy log:\n${envoy?.log(80)}\nxDS exchanges:\n${ads.log.describe()}`));
  });

  afterAll(async () => {
    await envoy?.stop();
    await Promise.all([ads?.stop(), echo?.close()]);
  });

  test('shows the pushed listener in its config dump and ACKs it', async () => {
    await ads.waitFor((e) => e.nodeId === nodeId && e.typeUrl === TYPE_URL.listener && e.kind === 'ack');
    expect(ads.log.exchanges.find((e) => e.kind === 'response')?.protocol).toBe(protocol);
    const dump = await envoy!.admin.configDump('dynamic_listeners');
    expect(dump.configs).toMatchObject([
      { '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump.DynamicListener', name: 'http' },
    ]);
    expect(await envoy!.admin.ready()).toBe('LIVE');
  });

  test('carries an HTTP request through the listener to the echo backend', async () => {
    // The listener may still be warming (waiting for its routes) right after the ACK.
    const { seen } = await vi.waitFor(() => post(listenerPort, '/hello?via=envoy', 'ping'), {
      timeout: 30_000,
      interval: 200,
    });
    expect(seen).toMatchObject({
      backend: `echo-${protocol}`,
      method: 'POST',
      path: '/hello?via=envoy',
      host: 'echo.test',
      body: 'ping',
    });
    expect(seen.headers['x-test']).toBe('through-envoy');
    expect(seen.headers['x-request-id']).toBeTruthy(); // added by Envoy's connection manager
    expect(echo.seen.at(-1)).toEqual(seen);
    const upstream = await envoy!.admin.clusters();
    expect(
      upstream.find((c) => c.name === 'echo')?.host_statuses?.[0]?.address.socket_address.port_value,
    ).toBe(echo.port);
    expect(
      (await envoy!.admin.stats('^cluster\\.echo\\.upstream_rq_total$'))['cluster.echo.upstream_rq_total'],
    ).toBeGreaterThan(0);
  });

  test("NACKs an invalid route configuration with Envoy's error, keeping the last good one", async () => {
    ads.setResources(TYPE_URL.routeConfiguration, {
      routes: {
        name: 'routes',
        virtualHosts: [
          {
            name: 'echo',
            domains: ['echo.test'],
            routes: [{ match: { safeRegex: { regex: '(' } }, route: { cluster: 'echo' } }],
          },
        ],
      },
    });
    const nack = await ads.waitFor(
      (e) => e.nodeId === nodeId && e.typeUrl === TYPE_URL.routeConfiguration && e.kind === 'nack',
    );
    expect(nack.error).toContain('missing ): ('); // RE2's complaint about the pattern
    expect((await post(listenerPort, '/still-routed', '')).seen.path).toBe('/still-routed');
  });
});
