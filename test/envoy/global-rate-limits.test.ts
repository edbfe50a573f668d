// Global rate limits through the real parts: two Envoys of one Gateway, Envoy's rate limit service
// (envoyproxy/ratelimit, configured over xDS by the backend under test) and Redis. A tenant's (N+1)-th request in
// the window answers 429 while another tenant still gets 200, whichever replica serves each request (the counters
// are in Redis); X-RateLimit headers tell the limit. With Redis stopped, a fail-open plane lets requests through
// and a fail-closed one refuses them (500); both count again once Redis is back. Windows are an hour long, so a
// window never ends during a test; a route limited to 0 requests tells when the service counts (429) or cannot. A
// rule with xRateLimitHeaders Off is counted the same and answered without the headers.
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewayIR, listener, port, route, rule, service } from '../../backends/envoy/testdata/gateway-ir.ts';
import type { GatewayIR, RuleIR } from '../../model/ir/gateway-ir.ts';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { type Envoy, freePort } from '../harness/envoy/index.ts';
import { eventually } from '../harness/eventually.ts';
import {
  type RateLimitService,
  type Redis,
  startRateLimitService,
  startRedis,
} from '../harness/ratelimit/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { type HttpAnswer, httpRequest } from './http-client.ts';
import { trafficIR } from './traffic-policy-ir.ts';

const LIMIT = 4;

/** The Gateway: a per-tenant limit, a route limited to nothing (the service's heartbeat) and one without limits. */
function limitedGateway(httpPort: number, echo: EchoServer): GatewayIR {
  const app = service('app', [echo.port]);
  const limited = (name: string, requests: number, headers?: 'Off'): RuleIR => ({
    ...rule([app]),
    policies: {
      traffic: trafficIR(name, {
        rateLimit: {
          global: {
            rules: [
              {
                clientSelectors: [{ headers: [{ name: 'x-tenant', type: 'Distinct' }] }],
                limit: { requests, unit: 'Hour' },
                ...(headers === undefined ? {} : { xRateLimitHeaders: headers }),
              },
            ],
          },
        },
      }),
    },
  });
  return gatewayIR([
    port(httpPort, [
      listener('http', 'HTTP', [
        route('tenants', [limited('per-tenant', LIMIT)], { hostnames: ['api.example.com'] }),
        route('nothing', [limited('nothing', 0)], { hostnames: ['zero.example.com'] }),
        // The same limit with xRateLimitHeaders Off: counted alike, answered without the X-RateLimit headers.
        route('quiet', [limited('quiet', LIMIT, 'Off')], { hostnames: ['quiet.example.com'] }),
        route('open', [rule([app])], { hostnames: ['open.example.com'] }),
      ]),
    ]),
  ]);
}

interface Plane {
  readonly fixture: EnvoyBackendFixture;
  readonly service: RateLimitService;
  readonly httpPort: number;
}

async function startPlane(redis: Redis, echo: EchoServer, name: string, failClosed: boolean): Promise<Plane> {
  const rlsPort = await freePort();
  const fixture = await EnvoyBackendFixture.start('127.0.0.1:0', undefined, {
    rateLimitService: { address: `127.0.0.1:${rlsPort}`, failClosed },
  });
  const rateLimitService = await startRateLimitService({
    name,
    xdsAddress: fixture.xds.address,
    redis,
    grpcPort: rlsPort,
  });
  const httpPort = await freePort();
  const ir = limitedGateway(httpPort, echo);
  await fixture.send(ir);
  await eventually(`${name} accepts its configuration`, () =>
    fixture.feed.accepted(rateLimitService.nodeId) === fixture.feed.revision && fixture.feed.revision > 0
      ? true
      : undefined,
  );
  return { fixture, service: rateLimitService, httpPort };
}

const requestOn = (agent: Agent, httpPort: number, host: string, headers: Record<string, string> = {}) =>
  httpRequest(httpPort, '/', { host, headers, agent });

/** Requests a keep-alive connection sends all reach one Envoy: one connection per replica, found by its stats. */
async function connectionsPerReplica(envoys: readonly Envoy[], httpPort: number): Promise<Agent[]> {
  // Requests the Gateway's listener served (the admin listener's own are left out: reading stats is one).
  const served = async (envoy: Envoy) =>
    Object.entries(await envoy.admin.stats('^http\\..*\\.downstream_rq_total$'))
      .filter(([name]) => !name.startsWith('http.admin.'))
      .reduce((sum, [, value]) => sum + value, 0);
  const found: (Agent | undefined)[] = envoys.map(() => undefined);
  for (let attempt = 0; attempt < 64 && found.includes(undefined); attempt++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await Promise.all(envoys.map(served));
    expect((await requestOn(agent, httpPort, 'open.example.com')).status).toBe(200);
    const after = await Promise.all(envoys.map(served));
    const replica = after.findIndex((count, i) => count > before[i]!);
    if (replica >= 0 && found[replica] === undefined) found[replica] = agent;
    else agent.destroy();
  }
  if (found.includes(undefined)) throw new Error('no connection reached every Envoy replica');
  return found as Agent[];
}

describe('global rate limits through Envoy, the rate limit service and Redis', () => {
  let redis: Redis;
  let echo: EchoServer;
  let open: Plane;
  let closed: Plane;
  let replicas: Agent[];
  const closedAgent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    [redis, echo] = await Promise.all([startRedis(), startHttpEcho('app')]);
    open = await startPlane(redis, echo, 'fail-open', false);
    closed = await startPlane(redis, echo, 'fail-closed', true);
    const gateway = limitedGateway(open.httpPort, echo).gateway;
    await Promise.all([
      open.fixture.startEnvoy(gateway, { nodeId: 'replica-1' }),
      open.fixture.startEnvoy(gateway, { nodeId: 'replica-2' }),
      closed.fixture.startEnvoy(gateway, { nodeId: 'closed-1' }),
    ]);
    await open.fixture.waitForSynced(['replica-1', 'replica-2'], 1);
    await closed.fixture.waitForSynced('closed-1', 1);
    replicas = await connectionsPerReplica(open.fixture.envoys, open.httpPort);
  });

  afterAll(async () => {
    for (const agent of [...(replicas ?? []), closedAgent]) agent.destroy();
    await Promise.all([open?.fixture.stop(), closed?.fixture.stop()]);
    await Promise.all([open?.service.close(), closed?.service.close()]);
    await Promise.all([redis?.close(), echo?.close()]);
  });

  const tenant = (agent: Agent, name: string): Promise<HttpAnswer> =>
    requestOn(agent, open.httpPort, 'api.example.com', { 'x-tenant': name });

  test("a tenant's requests past the limit answer 429 on every replica while another tenant gets 200", async () => {
    const [one, two] = replicas as [Agent, Agent];
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await tenant(i % 2 === 0 ? one : two, 'acme')).status);
    expect(statuses).toEqual(new Array(LIMIT).fill(200));
    const over = await tenant(one, 'acme');
    expect(over.status).toBe(429);
    expect(String(over.headers['x-ratelimit-limit'])).toMatch(new RegExp(`^${LIMIT}\\b`));
    expect(over.headers['x-ratelimit-remaining']).toBe('0');
    expect((await tenant(two, 'acme')).status).toBe(429);
    const other = await tenant(two, 'globex');
    expect(other.status).toBe(200);
    expect(other.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
    expect((await tenant(one, 'globex')).status).toBe(200);
  });

  test('xRateLimitHeaders Off: the same limit holds, and neither the 200s nor the 429 carry X-RateLimit headers', async () => {
    const agent = replicas[0]!;
    const quiet = () => requestOn(agent, open.httpPort, 'quiet.example.com', { 'x-tenant': 'hushed' });
    const rateLimitHeaders = (answer: HttpAnswer) =>
      Object.keys(answer.headers).filter((name) => name.startsWith('x-ratelimit-'));
    const answers: HttpAnswer[] = [];
    for (let i = 0; i <= LIMIT; i++) answers.push(await quiet());
    expect(answers.map((a) => a.status)).toEqual([...new Array(LIMIT).fill(200), 429]);
    expect(answers.flatMap(rateLimitHeaders)).toEqual([]);
    // The rule beside it without the option still tells its limit on the same replica.
    const told = await tenant(agent, 'hushed');
    expect(told.status).toBe(200);
    expect(rateLimitHeaders(told).sort()).toEqual([
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ]);
  });

  test('a request without the tenant header is not counted by the per-tenant rule', async () => {
    const agent = replicas[0]!;
    for (let i = 0; i < LIMIT + 2; i++)
      expect((await requestOn(agent, open.httpPort, 'api.example.com')).status).toBe(200);
  });

  test('with Redis stopped, fail open lets requests through and fail closed refuses them; both count again once it is back', async () => {
    const openAgent = replicas[0]!;
    const heartbeat = async (plane: Plane, agent: Agent) =>
      (await requestOn(agent, plane.httpPort, 'zero.example.com', { 'x-tenant': 'heartbeat' })).status;
    expect(await heartbeat(open, openAgent)).toBe(429);
    expect(await heartbeat(closed, closedAgent)).toBe(429);
    for (let i = 0; i <= LIMIT; i++) await tenant(openAgent, 'initech');
    expect((await tenant(openAgent, 'initech')).status).toBe(429);

    await redis.stop();
    // The service cannot count: fail open serves even a tenant past its limit, fail closed serves no one.
    await eventually('the fail-open plane letting requests through', async () =>
      (await heartbeat(open, openAgent)) === 200 ? true : undefined,
    );
    expect((await tenant(openAgent, 'initech')).status).toBe(200);
    await eventually('the fail-closed plane refusing requests', async () =>
      (await heartbeat(closed, closedAgent)) === 500 ? true : undefined,
    );
    expect(
      (await requestOn(closedAgent, closed.httpPort, 'api.example.com', { 'x-tenant': 'hooli' })).status,
    ).toBe(500);
    expect((await requestOn(closedAgent, closed.httpPort, 'open.example.com')).status).toBe(200);

    await redis.start();
    // Counting again: three heartbeats in a row refused by the count, on both planes.
    const counting = async (plane: Plane, agent: Agent) => {
      for (let i = 0; i < 3; i++) if ((await heartbeat(plane, agent)) !== 429) return undefined;
      return true;
    };
    await eventually(
      'the rate limit services counting again',
      async () => (await counting(open, openAgent)) && (await counting(closed, closedAgent)),
    );
    // A tenant new to the restarted Redis (a request let through during the outage may still be counted once
    // the service reaches Redis again): the limit holds again, on both planes.
    for (const [plane, agent] of [
      [open, openAgent],
      [closed, closedAgent],
    ] as const) {
      const statuses: number[] = [];
      for (let i = 0; i <= LIMIT; i++)
        statuses.push(
          (
            await requestOn(agent, plane.httpPort, 'api.example.com', {
              'x-tenant': `umbrella-${plane.service.nodeId}`,
            })
          ).status,
        );
      expect(statuses).toEqual([...new Array(LIMIT).fill(200), 429]);
    }
  });
});
