// controlplane.fullsync: 1,000 Gateways (each with a SecurityPolicy and a ClientTrafficPolicy), 10,000 HTTPRoutes,
// 2,000 Services (+ one EndpointSlice each) as YAML files in a temp dir → time from start-up until every status and
// every Gateway IR is computed, and RSS at the end. The same at a tenth and at ten times that (1k and 100k routes),
// each scale in a process of its own, and how CPU time and live heap grow from one to the next.
// Runs the real composition (createControlPlane) on a VirtualClock until quiescent, as `translate` does: the
// figure is the pipeline's own work (reading and parsing the files included), with no debounce or timer waits.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/messages.ts';
import { type ControlPlane, createControlPlane } from '../cli/control-plane.ts';
import type { GatewayIR } from '../model/ir/gateway-ir.ts';
import { createLogger } from '../runtime/logger.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import { findManifestFiles, readManifestFile } from '../sources/files/manifests.ts';
import { report, rssAfterReducingGcMiB, rssMiB } from './report.ts';

const FACTOR = Number(process.env.SWITCHYARD_BENCH_SCALE ?? 1);
export const SCALE = {
  gateways: 1_000 * FACTOR,
  routes: 10_000 * FACTOR,
  services: 2_000 * FACTOR,
  namespaces: 10,
} as const;
const DOCS_PER_FILE = 100;
// Bounds a run that went wrong, not a slow one: a loaded shared machine stretches wall time several times over.
const TIME_LIMIT_MS = 600_000;

export function routeManifest(index: number, path = `/r${index}`): string {
  const gateway = index % SCALE.gateways;
  const namespace = `ns-${gateway % SCALE.namespaces}`;
  // A Service in the route's namespace (services are spread over namespaces the same way).
  const service =
    (index % (SCALE.services / SCALE.namespaces)) * SCALE.namespaces + (gateway % SCALE.namespaces);
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route-${index}, namespace: ${namespace}}
spec:
  parentRefs: [{name: gw-${gateway}, sectionName: http}]
  hostnames: [r${index}.gw-${gateway}.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: ${path}}}, {headers: [{name: x-route, value: r${index}}]}]
      backendRefs: [{name: svc-${service}, port: 8080}]
`;
}

function gatewayManifest(index: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw-${index}, namespace: ns-${index % SCALE.namespaces}}
spec:
  gatewayClassName: switchyard
  listeners:
    - {name: http, protocol: HTTP, port: 80, hostname: "*.gw-${index}.example.com"}
`;
}

/** The Gateway's SecurityPolicy (JWT by a JWKS URI, authorization on claims and CIDRs) and ClientTrafficPolicy. */
export function policyManifests(index: number, origin = 'https://app.example.com'): string {
  const namespace = `ns-${index % SCALE.namespaces}`;
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: gw-${index}-security, namespace: ${namespace}}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw-${index}}]
  cors: {allowOrigins: ["${origin}"]}
  jwt:
    providers:
      - name: idp
        issuer: https://idp.example.com
        remoteJWKS: {uri: https://idp.example.com/.well-known/jwks.json}
        claimToHeaders: [{header: x-user, claim: sub}]
  authorization:
    defaultAction: Deny
    rules:
      - action: Allow
        principal:
          clientCIDRs: [10.0.0.0/8]
          jwt: {provider: idp, claims: [{name: team, values: [gw-${index}]}]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: {name: gw-${index}-clients, namespace: ${namespace}}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw-${index}}]
  clientIPDetection: {xForwardedFor: {numTrustedHops: 1}}
  timeout: {http: {idleTimeout: 60s}}
`;
}

function serviceManifests(index: number): string {
  const namespace = `ns-${index % SCALE.namespaces}`;
  return `apiVersion: v1
kind: Service
metadata: {name: svc-${index}, namespace: ${namespace}}
spec:
  ports: [{name: http, port: 8080, targetPort: 3000, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-${index}-abc
  namespace: ${namespace}
  labels: {kubernetes.io/service-name: svc-${index}}
addressType: IPv4
ports: [{name: http, port: 3000, protocol: TCP}]
endpoints: [{addresses: [10.${index >> 8}.${index & 255}.1], conditions: {ready: true}}]
`;
}

function writeInChunks(
  dir: string,
  prefix: string,
  count: number,
  manifest: (index: number) => string,
): void {
  for (let start = 0; start < count; start += DOCS_PER_FILE) {
    const docs: string[] = [];
    for (let i = start; i < Math.min(count, start + DOCS_PER_FILE); i++) docs.push(manifest(i));
    writeFileSync(
      join(dir, `${prefix}-${String(start / DOCS_PER_FILE).padStart(4, '0')}.yaml`),
      docs.join('---\n'),
    );
  }
}

/** Writes the whole scale as manifests into a fresh temp dir (routes one file per 100, like the rest). */
export function writeScale(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const namespaces = Array.from(
    { length: SCALE.namespaces },
    (_, i) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ns-${i}}\n`,
  );
  writeFileSync(
    join(dir, 'base.yaml'),
    [
      'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: switchyard}\nspec: {controllerName: switchyard.dev/gateway-controller}\n',
      ...namespaces,
    ].join('---\n'),
  );
  writeInChunks(dir, 'gateways', SCALE.gateways, gatewayManifest);
  writeInChunks(dir, 'policies', SCALE.gateways, (i) => policyManifests(i));
  writeInChunks(dir, 'services', SCALE.services, serviceManifests);
  writeInChunks(dir, 'routes', SCALE.routes, (i) => routeManifest(i));
  return dir;
}

export interface DeployerContext {
  readonly gateways: Map<string, { ir: GatewayIR | undefined }>;
}

/** Throws unless every route has an accepted parent status and every Gateway an IR carrying all its routes. */
export function assertComplete(plane: ControlPlane): void {
  const routes = plane.store.list('HTTPRoute');
  if (routes.length !== SCALE.routes) throw new Error(`stored ${routes.length} of ${SCALE.routes} routes`);
  for (const route of routes) {
    const accepted = route.status?.parents?.[0]?.conditions?.find((c) => c.type === 'Accepted');
    if (accepted?.status !== 'True')
      throw new Error(`route ${route.metadata.name} not accepted: ${JSON.stringify(route.status)}`);
  }
  const deployer = plane.system.actor(GATEWAY_DEPLOYER)?.context as DeployerContext;
  if (deployer.gateways.size !== SCALE.gateways)
    throw new Error(`${deployer.gateways.size} of ${SCALE.gateways} Gateways resolved`);
  let routesInIR = 0;
  for (const { ir } of deployer.gateways.values()) {
    if (ir === undefined) throw new Error('a Gateway has no IR');
    for (const port of ir.ports) {
      for (const listener of port.listeners) {
        routesInIR += listener.routes.length;
        if (listener.clientTraffic === undefined) throw new Error('a listener has no ClientTrafficPolicy');
        for (const route of listener.routes)
          if (route.rules.some((rule) => rule.policies?.security?.jwt === undefined))
            throw new Error(`route ${route.route.name} has no SecurityPolicy`);
      }
    }
  }
  for (const policy of plane.store.list('SecurityPolicy')) {
    const accepted = policy.status?.ancestors?.[0]?.conditions?.find((c) => c.type === 'Accepted');
    if (accepted?.status !== 'True')
      throw new Error(
        `SecurityPolicy ${policy.metadata.name} not accepted: ${JSON.stringify(policy.status)}`,
      );
  }
  if (routesInIR !== SCALE.routes) throw new Error(`${routesInIR} of ${SCALE.routes} routes in the IRs`);
  for (const gateway of plane.store.list('Gateway')) {
    if (gateway.status?.listeners?.[0]?.attachedRoutes !== SCALE.routes / SCALE.gateways)
      throw new Error(
        `Gateway ${gateway.metadata.name} status incomplete: ${JSON.stringify(gateway.status)}`,
      );
  }
}

/** Builds the plane on a VirtualClock over `dir` and runs it to rest; returns it with the elapsed ms. */
export async function fullSync(
  dir: string,
  watch = false,
): Promise<{ plane: ControlPlane; clock: VirtualClock; ms: number; cpuMs: number }> {
  const clock = new VirtualClock(0);
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  const plane = createControlPlane({
    clock,
    logger: createLogger({ level: 'silent' }),
    files: { paths: [dir], watch },
  });
  plane.system.start();
  await runUntilQuiescent(plane.system, clock, 10_000_000);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (ms > TIME_LIMIT_MS)
    throw new Error(`full sync took ${Math.round(ms)} ms, over the ${TIME_LIMIT_MS} ms bound`);
  return { plane, clock, ms, cpuMs };
}

/** The scales `npm run bench` measures, each in a process of its own (a clean heap for the memory figures). */
const FACTORS = [0.1, 1, 10] as const;
/** Bounds the 10× run's heap so a regression fails the run instead of eating the shared machine. */
const HEAP_LIMIT_MIB = 2_048;

/** Figures at the base scale (10k routes) keep their names; at the others they end in `_at_1k_routes` or `_at_100k_routes`. */
function metric(name: string, factor = FACTOR): string {
  return factor === 1 ? name : `${name}_at_${10 * factor}k_routes`;
}

async function measure(): Promise<void> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`controlplane.fullsync: over ${TIME_LIMIT_MS} ms, giving up\n`);
    process.exit(1);
  }, TIME_LIMIT_MS);
  watchdog.unref();
  const dir = writeScale();
  const empty = mkdtempSync(join(tmpdir(), 'switchyard-bench-empty-'));
  try {
    // What the process costs before any object: Node, the type stripper, the modules and an empty control plane.
    const idle = await fullSync(empty);
    await idle.plane.system.stop(1_000);
    globalThis.gc?.();
    const rssBaseline = rssMiB();

    const { plane, ms, cpuMs } = await fullSync(dir);
    assertComplete(plane);
    report('controlplane.fullsync', metric('time_to_all_statuses_and_ir'), ms, 'ms');
    // CPU time of the process over the same span (all threads, GC included): steadier than wall time on a
    // shared machine.
    report('controlplane.fullsync', metric('cpu_time_to_all_statuses_and_ir'), cpuMs, 'ms');
    report('controlplane.fullsync', metric('rss_end'), rssMiB(), 'MiB');
    // The highest RSS the process reached (the sync's peak, not only where it ended).
    report('controlplane.fullsync', metric('rss_peak'), process.resourceUsage().maxRSS / 1024, 'MiB');
    report('controlplane.fullsync', metric('rss_baseline_empty_plane'), rssBaseline, 'MiB');
    globalThis.gc?.();
    report(
      'controlplane.fullsync',
      metric('heap_used_after_gc'),
      process.memoryUsage().heapUsed / (1024 * 1024),
      'MiB',
    );
    // What the process keeps once V8 hands its pooled pages back (rss_end holds garbage's high-water mark too).
    report('controlplane.fullsync', metric('rss_after_reducing_gc'), rssAfterReducingGcMiB(), 'MiB');
    await plane.system.stop(5_000);
    plane.close();

    // The share of the full sync that is reading and parsing the YAML (the files source's read port), alone.
    const parseStarted = performance.now();
    const parseCpu = process.cpuUsage();
    const { files } = await findManifestFiles([dir]);
    for (const file of files) await readManifestFile(file);
    report(
      'controlplane.fullsync',
      metric('yaml_read_and_parse_only'),
      performance.now() - parseStarted,
      'ms',
    );
    const parsed = process.cpuUsage(parseCpu);
    report(
      'controlplane.fullsync',
      metric('cpu_time_yaml_read_and_parse_only'),
      (parsed.user + parsed.system) / 1000,
      'ms',
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs each scale in a child process and passes its figures on, then how CPU time and live heap grow from 1× to
 * 10× (10 is linear): the ratio within one run, steadier than either figure on a shared machine.
 */
async function main(): Promise<void> {
  const figures = new Map<string, number>();
  for (const factor of FACTORS) {
    const child = spawn(
      process.execPath,
      [...process.execArgv, `--max-old-space-size=${HEAP_LIMIT_MIB}`, fileURLToPath(import.meta.url)],
      {
        env: { ...process.env, SWITCHYARD_BENCH_SCALE: String(factor) },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
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
    if (code !== 0) throw new Error(`controlplane.fullsync at ${factor}× exited with ${code}`);
  }
  // How each figure grows with 10× the input (10 is linear), a ratio within one run.
  for (const [from, to, label] of [
    [0.1, 1, '1k_to_10k'],
    [1, 10, '10k_to_100k'],
  ] as const) {
    const growth = (name: string) =>
      (figures.get(metric(name, to)) ?? Number.NaN) / (figures.get(metric(name, from)) ?? Number.NaN);
    report(
      'controlplane.fullsync',
      `cpu_time_growth_${label}_routes`,
      growth('cpu_time_to_all_statuses_and_ir'),
      'ratio',
    );
    report('controlplane.fullsync', `heap_growth_${label}_routes`, growth('heap_used_after_gc'), 'ratio');
  }
}

if (import.meta.main) {
  if (process.env.SWITCHYARD_BENCH_SCALE === undefined) await main();
  else await measure();
}
