// ratelimit.overhead: what a global rate limit costs a request through Envoy. One real Envoy serves two routes to
// the same echo backend, one without limits and one with a per-tenant global limit far above what the run sends
// (so every request is asked about and none is refused); Envoy asks the real rate limit service, which counts in
// a real Redis (test/harness/ratelimit). Per route a closed loop of keep-alive connections → requests/s, then an
// open loop at a fixed rate → p50/p99 latency; the routes alternate in short rounds so load on the shared machine
// hits both alike, and the ratios of one run are the figures to compare. Envoy's own count of the service's
// answers must match the limited requests sent, or the run fails (a limit not asked about measures nothing).
import { Agent, request } from 'node:http';
import { gatewayIR, listener, port, route, rule, service } from '../backends/envoy/testdata/gateway-ir.ts';
import type { GatewayIR, RuleIR } from '../model/ir/gateway-ir.ts';
import { EnvoyBackendFixture } from '../test/envoy/envoy-backend-fixture.ts';
import { trafficIR } from '../test/envoy/traffic-policy-ir.ts';
import { startHttpEcho } from '../test/harness/echo/index.ts';
import { freePort } from '../test/harness/envoy/index.ts';
import { eventually } from '../test/harness/eventually.ts';
import { startRateLimitService, startRedis } from '../test/harness/ratelimit/index.ts';
import { report } from './report.ts';

const CONNECTIONS = 16;
const CLOSED_LOOP_MS = 2_000;
const OPEN_LOOP_RATE = 50;
const OPEN_LOOP_MS = 4_000;
const ROUNDS = 5;
const TENANTS = 50;

function benchGateway(httpPort: number, echoPort: number): GatewayIR {
  const app = service('app', [echoPort]);
  const limited: RuleIR = {
    ...rule([app]),
    policies: {
      traffic: trafficIR('per-tenant', {
        rateLimit: {
          global: {
            rules: [
              {
                clientSelectors: [{ headers: [{ name: 'x-tenant', type: 'Distinct' }] }],
                limit: { requests: 1_000_000_000, unit: 'Hour' },
              },
            ],
          },
        },
      }),
    },
  };
  return gatewayIR([
    port(httpPort, [
      listener('http', 'HTTP', [
        route('limited', [limited], { hostnames: ['limited.example.com'] }),
        route('open', [rule([app])], { hostnames: ['open.example.com'] }),
      ]),
    ]),
  ]);
}

const sent = new Map<string, number>();

function send(agent: Agent, httpPort: number, host: string, tenant: number): Promise<number> {
  sent.set(host, (sent.get(host) ?? 0) + 1);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: httpPort, path: '/', agent, headers: { host, 'x-tenant': `t${tenant}` } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.end();
  });
}

async function closedLoop(httpPort: number, host: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let done = 0;
  let refused = 0;
  const until = performance.now() + CLOSED_LOOP_MS;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, worker) => {
      while (performance.now() < until) {
        if ((await send(agent, httpPort, host, (done + worker) % TENANTS)) !== 200) refused++;
        done++;
      }
    }),
  );
  agent.destroy();
  if (refused > 0) throw new Error(`${host}: ${refused} of ${done} requests were not answered 200`);
  return (done * 1_000) / CLOSED_LOOP_MS;
}

async function openLoop(httpPort: number, host: string): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const total = Math.round((OPEN_LOOP_RATE * OPEN_LOOP_MS) / 1_000);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1_000) / OPEN_LOOP_RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      send(agent, httpPort, host, i % TENANTS).then((status) => {
        if (status !== 200) throw new Error(`${host}: answered ${status}`);
        // From when the request was due, so a generator falling behind shows as latency.
        latencies.push(performance.now() - due);
      }),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  return latencies.sort((a, b) => a - b);
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

const [redis, echo] = await Promise.all([startRedis(), startHttpEcho('app')]);
const rlsPort = await freePort();
const fixture = await EnvoyBackendFixture.start('127.0.0.1:0', undefined, {
  rateLimitService: { address: `127.0.0.1:${rlsPort}` },
});
const rateLimitService = await startRateLimitService({
  name: 'bench',
  xdsAddress: fixture.xds.address,
  redis,
  grpcPort: rlsPort,
});
try {
  const httpPort = await freePort();
  const ir = benchGateway(httpPort, echo.port);
  await fixture.send(ir);
  await eventually('the rate limit service accepts its configuration', () =>
    fixture.feed.revision > 0 && fixture.feed.accepted(rateLimitService.nodeId) === fixture.feed.revision
      ? true
      : undefined,
  );
  await fixture.startEnvoy(ir.gateway, { nodeId: 'bench' });
  await fixture.waitForSynced('bench', 1);
  // Warm both paths (connections to the service and to Redis, Envoy's clusters).
  await closedLoop(httpPort, 'open.example.com');
  await closedLoop(httpPort, 'limited.example.com');

  const throughput = { open: [] as number[], limited: [] as number[] };
  const latency = { open: [] as number[], limited: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    throughput.open.push(await closedLoop(httpPort, 'open.example.com'));
    throughput.limited.push(await closedLoop(httpPort, 'limited.example.com'));
    latency.open.push(...(await openLoop(httpPort, 'open.example.com')));
    latency.limited.push(...(await openLoop(httpPort, 'limited.example.com')));
  }
  const [envoy] = fixture.envoys;
  const asked = Object.values((await envoy?.admin.stats('\\.ratelimit\\.ok$')) ?? {}).reduce(
    (a, b) => a + b,
    0,
  );
  if (asked !== sent.get('limited.example.com'))
    throw new Error(
      `the rate limit service answered ${asked} times for ${sent.get('limited.example.com')} limited requests`,
    );
  const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  latency.open.sort((a, b) => a - b);
  latency.limited.sort((a, b) => a - b);
  const rps = { open: mean(throughput.open), limited: mean(throughput.limited) };
  report('ratelimit.overhead', 'requests_per_s_without_limit', rps.open, 'req/s');
  report('ratelimit.overhead', 'requests_per_s_with_global_limit', rps.limited, 'req/s');
  report('ratelimit.overhead', 'throughput_ratio_with_to_without', rps.limited / rps.open, 'ratio');
  for (const [name, sorted] of Object.entries(latency)) {
    const label = name === 'open' ? 'without_limit' : 'with_global_limit';
    report('ratelimit.overhead', `p50_${label}_at_${OPEN_LOOP_RATE}_rps`, percentile(sorted, 50), 'ms');
    report('ratelimit.overhead', `p99_${label}_at_${OPEN_LOOP_RATE}_rps`, percentile(sorted, 99), 'ms');
  }
  report(
    'ratelimit.overhead',
    'p99_ratio_with_to_without',
    percentile(latency.limited, 99) / percentile(latency.open, 99),
    'ratio',
  );
} finally {
  await fixture.stop();
  await rateLimitService.close();
  await Promise.all([redis.close(), echo.close()]);
}
