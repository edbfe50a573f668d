// BackendTrafficPolicy through a real Envoy: each policy is written as its spec, read by the policy's rules
// (model/policies/backend-traffic-policy.ts) into IR and put on a rule of a hand-written Gateway IR. Checked by
// what a client sees: a circuit breaker's overflow answers 503, an active health check takes a dead endpoint out
// and puts it back, retries turn a flaky backend's 503s into 200s, consistent hashing keeps a client on one
// endpoint, passive health checks eject a failing endpoint, a local rate limit answers 429 with X-RateLimit
// headers, fault injection aborts, a response override replaces a status and body, a request timeout answers
// 504, and PROXY protocol reaches the backend. Counts and waits follow state (stats, backends' logs), never time.
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewayIR, listener, port, route, rule, service } from '../../backends/envoy/testdata/gateway-ir.ts';
import type { BackendIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import type { BackendTrafficIR } from '../../model/ir/traffic-policies.ts';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { eventually } from '../harness/eventually.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { type HttpAnswer, httpRequest } from './http-client.ts';
import { type ScriptedBackend, startScriptedBackend } from './scripted-backend.ts';
import { trafficIR } from './traffic-policy-ir.ts';

function withTraffic(base: RuleIR, traffic: BackendTrafficIR): RuleIR {
  return { ...base, policies: { traffic } };
}

/**
 * An HTTP backend that can die (every connection cut, new ones reset at once) and come back. It keeps its port
 * while dead: a closed port could be taken meanwhile by any other process of a full test run, and the revived
 * backend would then fail to listen, or Envoy would find a stranger there.
 */
interface MortalBackend {
  readonly name: string;
  readonly port: number;
  kill(): void;
  revive(): void;
  close(): Promise<void>;
}

async function startMortalBackend(name: string): Promise<MortalBackend> {
  let dead = false;
  const server = createHttpServer((request, response) => {
    request.resume();
    response
      .writeHead(200, { 'content-type': 'application/json', 'x-echo-backend': name })
      .end(
        JSON.stringify({ backend: name, protocol: 'http/1.1', method: request.method, path: request.url }),
      );
  });
  server.on('connection', (socket: Socket) => {
    if (dead) socket.resetAndDestroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    name,
    port: (server.address() as AddressInfo).port,
    kill() {
      dead = true;
      server.closeAllConnections();
    },
    revive() {
      dead = false;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP backend that answers each connection with the first line it read (the PROXY protocol header). */
async function startProxyProtocolReader(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n');
      if (end < 0 || !buffered.includes('\r\n\r\n')) return;
      const first = buffered.slice(0, end);
      socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${first.length}\r\nconnection: close\r\n\r\n${first}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('BackendTrafficPolicy through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let httpPort: number;
  const backends: { close(): Promise<void> }[] = [];
  let held: ScriptedBackend;
  let flaky: ScriptedBackend;
  let failing: ScriptedBackend;
  let notFound: ScriptedBackend;
  let slow: ScriptedBackend;
  let mortal: [MortalBackend, MortalBackend];
  let hashed: EchoServer[];
  let steady: EchoServer;

  const get = (host: string, headers: Record<string, string> = {}, path = '/'): Promise<HttpAnswer> =>
    httpRequest(httpPort, path, { host, headers });

  beforeAll(async () => {
    held = await startScriptedBackend(() => ({ status: 200, delayMs: 120_000 }));
    flaky = await startScriptedBackend((n) => ({ status: n < 2 ? 503 : 200 }));
    failing = await startScriptedBackend(() => ({ status: 500 }));
    notFound = await startScriptedBackend(() => ({ status: 404 }));
    slow = await startScriptedBackend(() => ({ status: 200, delayMs: 120_000 }));
    mortal = [await startMortalBackend('alive-a'), await startMortalBackend('alive-b')];
    hashed = await Promise.all(['hash-1', 'hash-2', 'hash-3'].map((name) => startHttpEcho(name)));
    steady = await startHttpEcho('steady');
    const reader = await startProxyProtocolReader();
    backends.push(held, flaky, failing, notFound, slow, ...mortal, ...hashed, steady, reader);
    httpPort = await freePort();
    fixture = await EnvoyBackendFixture.start();

    const endpoints = (name: string, ports: number[]): BackendIR => service(name, ports);
    const routes = [
      route(
        'breaker',
        [
          withTraffic(
            rule([endpoints('held', [held.port])]),
            trafficIR('breaker', {
              circuitBreaker: { maxConnections: 1, maxPendingRequests: 1, maxParallelRequests: 1 },
            }),
          ),
        ],
        { hostnames: ['breaker.example.com'] },
      ),
      route(
        'health',
        [
          withTraffic(
            rule([
              endpoints(
                'mortal',
                mortal.map((m) => m.port),
              ),
            ]),
            trafficIR('health', {
              healthCheck: {
                active: {
                  type: 'HTTP',
                  http: { path: '/healthz' },
                  interval: '1s',
                  timeout: '1s',
                  unhealthyThreshold: 1,
                  healthyThreshold: 1,
                },
              },
            }),
          ),
        ],
        { hostnames: ['health.example.com'] },
      ),
      route(
        'retry',
        [
          withTraffic(
            rule([endpoints('flaky', [flaky.port])]),
            trafficIR('retry', {
              retry: {
                numRetries: 3,
                retryOn: { triggers: ['retriable-status-codes'], httpStatusCodes: [503] },
              },
            }),
          ),
        ],
        { hostnames: ['retry.example.com'] },
      ),
      route(
        'hash',
        [
          withTraffic(
            rule([
              endpoints(
                'hashed',
                hashed.map((h) => h.port),
              ),
            ]),
            trafficIR('hash', {
              loadBalancer: {
                type: 'ConsistentHash',
                consistentHash: { type: 'Headers', headers: [{ name: 'x-user' }] },
              },
            }),
          ),
        ],
        { hostnames: ['hash.example.com'] },
      ),
      route(
        'round-robin',
        [
          withTraffic(
            rule([
              endpoints(
                'hashed',
                hashed.map((h) => h.port),
              ),
            ]),
            trafficIR('rr', { loadBalancer: { type: 'RoundRobin' } }),
          ),
        ],
        { hostnames: ['rr.example.com'] },
      ),
      route(
        'outlier',
        [
          withTraffic(
            rule([endpoints('outlier', [failing.port, steady.port])]),
            trafficIR('outlier', {
              healthCheck: {
                passive: {
                  consecutive5XxErrors: 1,
                  interval: '1s',
                  baseEjectionTime: '5m',
                  maxEjectionPercent: 50,
                },
              },
            }),
          ),
        ],
        { hostnames: ['outlier.example.com'] },
      ),
      route(
        'local-limit',
        [
          withTraffic(
            rule([endpoints('steady', [steady.port])]),
            trafficIR('local', {
              rateLimit: {
                local: {
                  rules: [
                    {
                      clientSelectors: [{ headers: [{ name: 'x-plan', value: 'free' }] }],
                      limit: { requests: 3, unit: 'Hour' },
                    },
                  ],
                },
              },
            }),
          ),
        ],
        { hostnames: ['local.example.com'] },
      ),
      route(
        'fault',
        [
          withTraffic(
            rule([endpoints('steady', [steady.port])]),
            trafficIR('fault', { faultInjection: { abort: { httpStatus: 418, percentage: 100 } } }),
          ),
        ],
        { hostnames: ['fault.example.com'] },
      ),
      route(
        'override',
        [
          withTraffic(
            rule([endpoints('not-found', [notFound.port])]),
            trafficIR('override', {
              responseOverride: [
                {
                  match: { statusCodes: [{ type: 'Range', range: { start: 400, end: 404 } }] },
                  response: {
                    contentType: 'text/plain',
                    body: { type: 'Inline', inline: 'gone fishing' },
                    statusCode: 410,
                  },
                },
              ],
            }),
          ),
        ],
        { hostnames: ['override.example.com'] },
      ),
      route(
        'timeout',
        [
          withTraffic(
            rule([endpoints('slow', [slow.port])]),
            trafficIR('timeout', { timeout: { http: { requestTimeout: '500ms' } } }),
          ),
        ],
        { hostnames: ['timeout.example.com'] },
      ),
      route(
        'proxy-protocol',
        [
          withTraffic(
            rule([endpoints('reader', [reader.port])]),
            trafficIR('pp', { proxyProtocol: { version: 'V1' } }),
          ),
        ],
        { hostnames: ['pp.example.com'] },
      ),
    ];
    const ir = gatewayIR([port(httpPort, [listener('http', 'HTTP', routes)])]);
    await fixture.send(ir);
    await fixture.startEnvoy(ir.gateway, { nodeId: 'traffic' });
    await fixture.waitForSynced('traffic', 1);
  });

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all(backends.map((backend) => backend.close()));
  });

  const envoy = () => fixture.envoys[0]!;
  const clusterStat = async (clusterPrefix: string, stat: string): Promise<number> => {
    const stats = await envoy().admin.stats(
      `^cluster\\.${clusterPrefix.replaceAll('/', '\\/')}.*\\.${stat}$`,
    );
    return Object.values(stats).reduce((sum, value) => sum + value, 0);
  };

  test('a circuit breaker answers 503 to the request that overflows it', async () => {
    const first = get('breaker.example.com').catch(() => undefined);
    await eventually('the first request held by the backend', () => (held.count() === 1 ? true : undefined));
    const second = get('breaker.example.com').catch(() => undefined);
    await eventually('the second request pending in Envoy', async () =>
      (await clusterStat('service/default/held', 'upstream_rq_pending_active')) === 1 ? true : undefined,
    );
    const third = await get('breaker.example.com');
    expect(third.status).toBe(503);
    expect(third.headers['x-envoy-overloaded']).toBe('true');
    expect(held.count()).toBe(1);
    await held.close();
    await Promise.all([first, second]);
  });

  test('an active health check takes a dead endpoint out and puts it back', async () => {
    const [a, b] = mortal;
    const answered = async (n: number) => {
      const names = new Set<string>();
      for (let i = 0; i < n; i++)
        names.add((await get('health.example.com')).headers['x-echo-backend'] as string);
      return names;
    };
    const unhealthy = async () => {
      const cluster = (await envoy().admin.clusters()).find((c) =>
        c.name.startsWith('service/default/mortal'),
      );
      return (cluster?.host_statuses ?? [])
        .filter((h) => h.health_status.failed_active_health_check === true)
        .map((h) => h.address.socket_address.port_value);
    };
    await eventually('both endpoints healthy', async () =>
      (await unhealthy()).length === 0 ? true : undefined,
    );
    a!.kill();
    await eventually('the dead endpoint marked unhealthy', async () =>
      (await unhealthy()).includes(a!.port) ? true : undefined,
    );
    // The admin API reports the main thread's view; Envoy's workers get the new host set a moment later.
    await eventually('only the live endpoint answers', async () =>
      [...(await answered(8))].join() === b!.name ? true : undefined,
    );
    a!.revive();
    await eventually('the revived endpoint healthy again', async () =>
      (await unhealthy()).length === 0 ? true : undefined,
    );
    await eventually('both endpoints answer again', async () =>
      [...(await answered(8))].sort().join() === [a!.name, b!.name].join() ? true : undefined,
    );
  });

  test("retries turn a flaky backend's 503s into a 200", async () => {
    const answer = await get('retry.example.com');
    expect(answer.status).toBe(200);
    expect(flaky.count()).toBe(3);
  });

  test('consistent hashing keeps a client on one endpoint; round robin does not', async () => {
    const backendFor = async (host: string, user: string) =>
      (await get(host, { 'x-user': user })).headers['x-echo-backend'] as string;
    for (const user of ['ada', 'grace', 'edsger']) {
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) seen.add(await backendFor('hash.example.com', user));
      expect(seen.size, `user ${user} stays on one endpoint`).toBe(1);
    }
    const users = new Set<string>();
    for (let i = 0; i < 20; i++) users.add(await backendFor('hash.example.com', `user-${i}`));
    expect(users.size).toBeGreaterThan(1);
    const spread = new Set<string>();
    for (let i = 0; i < 6; i++) spread.add(await backendFor('rr.example.com', 'ada'));
    expect(spread.size).toBe(3);
  });

  test('a passive health check ejects the endpoint that failed', async () => {
    // Each endpoint answers at least once (round robin), the failing one is ejected after its first 500.
    await eventually('the failing endpoint ejected', async () => {
      await get('outlier.example.com');
      return (await clusterStat('service/default/outlier', 'outlier_detection.ejections_active')) === 1
        ? true
        : undefined;
    });
    for (let i = 0; i < 6; i++) expect((await get('outlier.example.com')).status).toBe(200);
  });

  test('a local rate limit answers 429 past its limit, to the selected clients only', async () => {
    const statuses: number[] = [];
    let last: HttpAnswer | undefined;
    for (let i = 0; i < 4; i++) {
      last = await get('local.example.com', { 'x-plan': 'free' });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last?.headers['x-ratelimit-limit']).toBe('3');
    expect((await get('local.example.com', { 'x-plan': 'paid' })).status).toBe(200);
  });

  test('fault injection aborts with the configured status', async () => {
    expect((await get('fault.example.com')).status).toBe(418);
  });

  test("a response override replaces the backend's status, type and body", async () => {
    const answer = await get('override.example.com');
    expect(answer.status).toBe(410);
    expect(answer.body).toBe('gone fishing');
    expect(answer.headers['content-type']).toBe('text/plain');
  });

  test('a request timeout answers 504 while the backend still holds the request', async () => {
    const answer = await get('timeout.example.com');
    expect(answer.status).toBe(504);
  });

  test('PROXY protocol v1 reaches the backend ahead of the request', async () => {
    const answer = await get('pp.example.com');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+$/);
  });
});
