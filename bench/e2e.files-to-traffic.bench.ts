// e2e.files-to-traffic: what one route change costs the controller when its Gateway serves many routes, without an
// API server. `switchyard controller --files <dir>` as its own process, a real Envoy on its delta xDS, one Gateway
// with ROUTES HTTPRoutes and no hostnames (one virtual host: each change is a new RouteConfiguration holding every
// route, as in e2e.apply-to-traffic). Then CHANGES times: one route's file rewritten with a new path → ms until
// Envoy answers the new path, and the controller's CPU time per change (from /proc, its own process): the figure
// that holds on a loaded machine; and Envoy's own time applying each new RouteConfiguration (its RDS update_duration). e2e.apply-to-traffic measures the same through a real API server, but creating
// its 10,000 routes takes 15–30 minutes here; this reaches 10,000 in about a minute.
// SWITCHYARD_BENCH_FILES_ROUTES (default 10,000), SWITCHYARD_BENCH_FILES_CPU_PROF=<dir>: the controller writes a
// CPU profile there when it stops (covering start-up too: compare it per change with a profile of a run without
// changes, or read the changes' part by time).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Envoy, freePort } from '../test/harness/envoy/index.ts';
import {
  cpuMsOf,
  percentile,
  pollAgent,
  rdsUpdateBuckets,
  rdsUpdatePercentile,
  startController,
  startGatewayEnvoy,
  until,
} from './e2e-parts.ts';
import { report } from './report.ts';

const ROUTES = Number(process.env.SWITCHYARD_BENCH_FILES_ROUTES ?? 10_000);
const CHANGES = Number(process.env.SWITCHYARD_BENCH_FILES_CHANGES ?? 30);
const PROFILE_DIR = process.env.SWITCHYARD_BENCH_FILES_CPU_PROF;
const PER_FILE = 100;
const CHANGE_LIMIT_MS = 120_000;
const TIME_LIMIT_MS = 20 * 60_000;
const NS = 'bench';

const watchdog = setTimeout(() => {
  process.stderr.write(`e2e.files-to-traffic: over ${TIME_LIMIT_MS} ms, giving up\n`);
  controller?.kill('SIGKILL');
  process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();

function routeYaml(i: number, path: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route-${i}, namespace: ${NS}}
spec:
  parentRefs: [{name: edge}]
  rules:
    - matches: [{path: {type: PathPrefix, value: ${path}}}]
      backendRefs: [{name: app, port: 8080}]
`;
}

function routeFile(dir: string, file: number, paths: readonly string[]): void {
  const docs: string[] = [];
  for (let i = file * PER_FILE; i < Math.min(ROUTES, (file + 1) * PER_FILE); i++)
    docs.push(routeYaml(i, paths[i]!));
  writeFileSync(join(dir, `routes-${String(file).padStart(4, '0')}.yaml`), docs.join('---\n'));
}

const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-files-'));
let controller: ChildProcess | undefined;
let envoy: Envoy | undefined;
const backend = createServer((_req, res) => res.end('ok'));
try {
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendPort = (backend.address() as AddressInfo).port;
  const [gatewayPort, xdsPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'base.yaml'),
    [
      'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: bench}\nspec: {controllerName: switchyard.dev/gateway-controller}\n',
      `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: ${NS}}\nspec:\n  gatewayClassName: bench\n  listeners: [{name: http, protocol: HTTP, port: ${gatewayPort}}]\n`,
      `apiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: ${NS}}\nspec:\n  ports: [{name: http, port: 8080, targetPort: ${backendPort}}]\n`,
      `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: app-1\n  namespace: ${NS}\n  labels: {kubernetes.io/service-name: app}\naddressType: IPv4\nports: [{name: http, port: ${backendPort}, protocol: TCP}]\nendpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]\n`,
    ].join('---\n'),
  );
  const paths = Array.from({ length: ROUTES }, (_, i) => `/r/${i}`);
  for (let file = 0; file * PER_FILE < ROUTES; file++) routeFile(dir, file, paths);

  const started = performance.now();
  controller = startController(['--files', dir], xdsPort, PROFILE_DIR);
  envoy = await startGatewayEnvoy(xdsPort, NS, 'edge');
  await until(gatewayPort, `/r/${ROUTES - 1}`, 200, started, 'start-up', CHANGE_LIMIT_MS);
  report('e2e.files-to-traffic', `start_to_traffic_${ROUTES}_routes`, performance.now() - started, 'ms');
  const latencies: number[] = [];
  const cpu: number[] = [];
  const rdsBefore = await rdsUpdateBuckets(envoy);
  for (let change = 0; change < CHANGES; change++) {
    // A route spread over the files, its path changed (not under the old one, which would answer it already).
    const route = (change * 7919) % ROUTES;
    paths[route] = `/v${change}/r/${route}`;
    const cpuBefore = cpuMsOf(controller.pid!);
    const changed = performance.now();
    routeFile(dir, Math.floor(route / PER_FILE), paths);
    latencies.push(
      await until(gatewayPort, paths[route]!, 200, changed, `change ${change}`, CHANGE_LIMIT_MS),
    );
    // What the controller spent on it (its debounce and xDS pushes included); the next change waits for it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    cpu.push(cpuMsOf(controller.pid!) - cpuBefore);
  }
  const suffix = `_at_${ROUTES / 1000}k_routes`;
  const rdsAfter = await rdsUpdateBuckets(envoy);
  for (const p of [50, 99]) {
    const ms = rdsUpdatePercentile(rdsBefore, rdsAfter, p);
    if (ms !== undefined) report('e2e.files-to-traffic', `envoy_rds_update_p${p}${suffix}`, ms, 'ms');
  }
  report('e2e.files-to-traffic', `change_p50${suffix}`, percentile(latencies, 50), 'ms');
  report('e2e.files-to-traffic', `change_p99${suffix}`, percentile(latencies, 99), 'ms');
  report('e2e.files-to-traffic', `controller_cpu_per_change_p50${suffix}`, percentile(cpu, 50), 'ms');
  report(
    'e2e.files-to-traffic',
    `controller_cpu_per_change_mean${suffix}`,
    cpu.reduce((a, b) => a + b, 0) / cpu.length,
    'ms',
  );
} finally {
  await envoy?.stop();
  if (controller !== undefined && controller.exitCode === null) {
    const exited = new Promise((resolve) => controller?.once('exit', resolve));
    controller.kill('SIGTERM');
    await exited;
  }
  pollAgent.destroy();
  backend.close();
  rmSync(dir, { recursive: true, force: true });
}
