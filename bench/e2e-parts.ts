// Shared by the e2e.* benchmarks: the controller as its own process, a real Envoy on its xDS for one Gateway, and
// polling that Envoy until a path answers as a change should make it answer.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { nodeClusterOf } from '../backends/envoy/node-identity.ts';
import { type Envoy, startEnvoy } from '../test/harness/envoy/index.ts';

const CLI = new URL('../cli/switchyard.ts', import.meta.url).pathname;

/**
 * `switchyard controller <modeArgs>` serving xDS on `xdsPort`, as users run it; `profileDir`: it writes a CPU
 * profile there when it stops.
 */
export function startController(
  modeArgs: readonly string[],
  xdsPort: number,
  profileDir: string | undefined,
): ChildProcess {
  return spawn(
    process.execPath,
    [
      ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
      CLI,
      'controller',
      ...modeArgs,
      `--xds-address=127.0.0.1:${xdsPort}`,
      '--http-address=127.0.0.1:0',
      '--inspector=off',
      '--log-level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** A real Envoy on delta xDS at `xdsPort`, as the proxy of Gateway `namespace`/`name`. */
export function startGatewayEnvoy(xdsPort: number, namespace: string, name: string): Promise<Envoy> {
  return startEnvoy({
    adsAddress: `127.0.0.1:${xdsPort}`,
    nodeId: 'bench-envoy',
    cluster: nodeClusterOf({ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace, name }),
    delta: true,
    waitUntil: 'started',
  });
}

/** One connection, kept open between polls (a new one per poll would measure connection set-up). */
export const pollAgent = new Agent({ keepAlive: true, maxSockets: 1 });

/** The status code the proxy answers GET `path` with (0 when it does not answer: no listener yet). */
export function statusOf(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: pollAgent, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Polls every 2 ms until GET `path` answers `status`; returns the ms since `started`. */
export async function until(
  port: number,
  path: string,
  status: number,
  started: number,
  what: string,
  limitMs: number,
): Promise<number> {
  for (;;) {
    if ((await statusOf(port, path)) === status) return performance.now() - started;
    if (performance.now() - started > limitMs)
      throw new Error(`${what}: ${path} did not answer ${status} within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU ms (user + system) a process has used so far, from /proc/<pid>/stat: holds on a loaded machine. */
export function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * Envoy's own time applying RouteConfigurations (its RDS `update_duration` histogram, ms), as bucket counts: read
 * before and after the changes measured, the difference is theirs (`rdsUpdatePercentile`). A phase of its own: the
 * controller cannot make Envoy apply a large RouteConfiguration faster.
 */
export async function rdsUpdateBuckets(envoy: Envoy): Promise<Map<number, number>> {
  const text = await envoy.admin.get('/stats?filter=rds\\..*\\.update_duration$&histogram_buckets=detailed');
  const buckets = new Map<number, number>();
  // "  totals=97,1:1, 210,10:1": per bucket its lower bound, width and count (every RouteConfiguration's, summed).
  for (const line of text.split('\n')) {
    const totals = /^\s*totals=(.*)$/.exec(line)?.[1];
    for (const bucket of totals?.split(', ') ?? []) {
      const match = /^([\d.]+),([\d.]+):(\d+)$/.exec(bucket.trim());
      if (match === null) continue;
      const middle = Number(match[1]) + Number(match[2]) / 2;
      buckets.set(middle, (buckets.get(middle) ?? 0) + Number(match[3]));
    }
  }
  return buckets;
}

/** The p-th percentile of the updates counted in `after` but not in `before` (bucket middles); undefined if none. */
export function rdsUpdatePercentile(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
  p: number,
): number | undefined {
  const values: number[] = [];
  for (const [middle, count] of after)
    for (let i = 0; i < count - (before.get(middle) ?? 0); i++) values.push(middle);
  return values.length === 0 ? undefined : percentile(values, p);
}
