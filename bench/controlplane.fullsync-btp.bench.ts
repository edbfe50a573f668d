// controlplane.fullsync_btp: the full sync of controlplane.fullsync (1,000 Gateways with their SecurityPolicy and
// ClientTrafficPolicy, 10,000 HTTPRoutes, 2,000 Services) with one BackendTrafficPolicy per route as well
// (retries, a request timeout, a circuit breaker and a local rate limit: 10,000 more policies, each evaluated,
// applied to its route's rule and given a status). Each variant runs in a process of its own (clean heap); the
// figures are CPU time, RSS and live heap, and what the policies add as a ratio within one run (wall time on the
// shared machine says little).
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/messages.ts';
import {
  assertComplete,
  type DeployerContext,
  fullSync,
  SCALE,
  writeScale,
} from './controlplane.fullsync.bench.ts';
import { report, rssMiB } from './report.ts';

const BENCH = 'controlplane.fullsync_btp';
const DOCS_PER_FILE = 100;

/** The route's own BackendTrafficPolicy, in its namespace (routeManifest's spread). */
function trafficPolicyManifest(index: number): string {
  const namespace = `ns-${(index % SCALE.gateways) % SCALE.namespaces}`;
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: btp-${index}, namespace: ${namespace}}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: route-${index}}]
  retry: {numRetries: 2, retryOn: {triggers: [connect-failure, retriable-status-codes], httpStatusCodes: [503]}}
  timeout: {http: {requestTimeout: 5s}}
  circuitBreaker: {maxConnections: 512, maxPendingRequests: 128}
  rateLimit:
    local:
      rules: [{limit: {requests: ${100 + (index % 50)}, unit: Second}}]
`;
}

function writeTrafficPolicies(dir: string): void {
  for (let start = 0; start < SCALE.routes; start += DOCS_PER_FILE) {
    const docs: string[] = [];
    for (let i = start; i < Math.min(SCALE.routes, start + DOCS_PER_FILE); i++)
      docs.push(trafficPolicyManifest(i));
    writeFileSync(
      join(dir, `btp-${String(start / DOCS_PER_FILE).padStart(4, '0')}.yaml`),
      docs.join('---\n'),
    );
  }
}

/** Throws unless every BackendTrafficPolicy is Accepted and every route's rule carries its own. */
function assertTrafficPolicies(plane: Awaited<ReturnType<typeof fullSync>>['plane']): void {
  const policies = plane.store.list('BackendTrafficPolicy');
  if (policies.length !== SCALE.routes)
    throw new Error(`stored ${policies.length} of ${SCALE.routes} policies`);
  for (const policy of policies) {
    const accepted = policy.status?.ancestors?.[0]?.conditions?.find((c) => c.type === 'Accepted');
    if (accepted?.status !== 'True')
      throw new Error(`${policy.metadata.name} not accepted: ${JSON.stringify(policy.status)}`);
  }
  const deployer = plane.system.actor(GATEWAY_DEPLOYER)?.context as DeployerContext;
  for (const { ir } of deployer.gateways.values())
    for (const port of ir?.ports ?? [])
      for (const listener of port.listeners)
        for (const route of listener.routes) {
          const traffic = route.rules[0]?.policies?.traffic;
          if (traffic?.retry === undefined || traffic.rateLimit?.local === undefined)
            throw new Error(
              `route ${route.route.name} has not its BackendTrafficPolicy: ${JSON.stringify(traffic)}`,
            );
        }
}

async function measure(withPolicies: boolean): Promise<void> {
  const dir = writeScale();
  if (withPolicies) writeTrafficPolicies(dir);
  const variant = withPolicies ? 'with_btp_per_route' : 'without_btp';
  try {
    const { plane, ms, cpuMs } = await fullSync(dir);
    assertComplete(plane);
    if (withPolicies) assertTrafficPolicies(plane);
    report(BENCH, `time_to_all_statuses_and_ir_${variant}`, ms, 'ms');
    report(BENCH, `cpu_time_to_all_statuses_and_ir_${variant}`, cpuMs, 'ms');
    report(BENCH, `rss_end_${variant}`, rssMiB(), 'MiB');
    report(BENCH, `rss_peak_${variant}`, process.resourceUsage().maxRSS / 1024, 'MiB');
    globalThis.gc?.();
    report(BENCH, `heap_used_after_gc_${variant}`, process.memoryUsage().heapUsed / (1024 * 1024), 'MiB');
    await plane.system.stop(5_000);
    plane.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Both variants, each in a child process, then what the policies add (ratios within this run). */
async function main(): Promise<void> {
  const figures = new Map<string, number>();
  for (const withPolicies of [false, true]) {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, SWITCHYARD_BENCH_BTP: withPolicies ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    for await (const line of createInterface({ input: child.stdout })) {
      process.stdout.write(`${line}\n`);
      if (!line.startsWith('{')) continue;
      const figure = JSON.parse(line) as { metric: string; value: number };
      figures.set(figure.metric, figure.value);
    }
    const code = await new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', resolve);
    });
    if (code !== 0)
      throw new Error(`${BENCH} (${withPolicies ? 'with' : 'without'} policies) exited with ${code}`);
  }
  const ratio = (name: string) =>
    (figures.get(`${name}_with_btp_per_route`) ?? Number.NaN) /
    (figures.get(`${name}_without_btp`) ?? Number.NaN);
  report(BENCH, 'cpu_time_ratio_with_to_without', ratio('cpu_time_to_all_statuses_and_ir'), 'ratio');
  report(BENCH, 'heap_ratio_with_to_without', ratio('heap_used_after_gc'), 'ratio');
  report(BENCH, 'rss_end_ratio_with_to_without', ratio('rss_end'), 'ratio');
}

if (import.meta.main) {
  if (process.env.SWITCHYARD_BENCH_BTP === undefined) await main();
  else await measure(process.env.SWITCHYARD_BENCH_BTP === '1');
}
