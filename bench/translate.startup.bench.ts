// translate.startup: `switchyard translate` on a small input (1 Gateway, 10 HTTPRoutes, 1 Service) as users run it,
// a new Node process each time → median wall time, the CPU time of those processes, and the same for a Node that
// does nothing (`node -e 0`), so the share that is ours (type stripping, loading modules, the run) reads as a ratio
// within one run; with Node's compile cache filled by an earlier run (as a user's second run) and without it.
// Target (issue 22): ≤ 0.4 s on 10 routes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './report.ts';

const RUNS = 7;
const ROUTES = 10;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The installed command (package.json "bin": cli/switchyard.mjs, what `npx switchyard` runs).
const cli = join(
  root,
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { switchyard: string } }).bin
    .switchyard,
);

function smallInput(dir: string): void {
  const routes = Array.from(
    { length: ROUTES },
    (_, i) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route-${i}, namespace: default}
spec:
  parentRefs: [{name: edge}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /r${i}}}]
      backendRefs: [{name: app, port: 8080}]
`,
  );
  writeFileSync(
    join(dir, 'input.yaml'),
    [
      'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: switchyard}\nspec: {controllerName: switchyard.dev/gateway-controller}\n',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: default}\nspec:\n  gatewayClassName: switchyard\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n',
      'apiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: default}\nspec:\n  ports: [{port: 8080}]\n',
      ...routes,
    ].join('---\n'),
  );
}

/** CPU seconds of this process's waited-for children so far (Linux: /proc/self/stat cutime + cstime). */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ", cutime and cstime are the 14th and 15th fields, in clock ticks (100 per second).
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Runs `args` RUNS times; returns the median wall ms and the mean CPU ms per run. */
function measure(
  args: readonly string[],
  check: (stdout: string, status: number | null) => void,
  env: NodeJS.ProcessEnv = process.env,
) {
  const walls: number[] = [];
  const cpuBefore = childrenCpuSeconds();
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { encoding: 'utf8', env });
    walls.push(performance.now() - started);
    check(result.stdout, result.status);
  }
  walls.sort((a, b) => a - b);
  return { wallMs: walls[Math.floor(RUNS / 2)]!, cpuMs: ((childrenCpuSeconds() - cpuBefore) * 1000) / RUNS };
}

const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-startup-'));
try {
  smallInput(dir);
  const node = measure(['-e', '0'], () => {});
  const checked = (stdout: string, status: number | null) => {
    if (status !== 0) throw new Error(`translate exited with ${status}`);
    if ((stdout.match(/^kind: HTTPRoute$/gm) ?? []).length !== ROUTES || !stdout.includes('Accepted'))
      throw new Error(`translate printed no statuses for the ${ROUTES} routes:\n${stdout.slice(0, 2000)}`);
  };
  // The compile cache (cli/switchyard.ts) in a cache home of this run's own: filled by a first run, then as a
  // user's second run finds it; and without it, as a fresh machine or container runs it.
  const { NODE_COMPILE_CACHE: _dir, NODE_DISABLE_COMPILE_CACHE: _off, ...inherited } = process.env;
  const withCache = { ...inherited, XDG_CACHE_HOME: join(dir, 'cache') };
  spawnSync(process.execPath, [cli, 'translate', '-f', join(dir, 'input.yaml')], { env: withCache });
  const translate = measure([cli, 'translate', '-f', join(dir, 'input.yaml')], checked, withCache);
  const cold = measure([cli, 'translate', '-f', join(dir, 'input.yaml')], checked, {
    ...inherited,
    NODE_DISABLE_COMPILE_CACHE: '1',
  });
  report('translate.startup', 'wall_10_routes_p50', translate.wallMs, 'ms');
  report('translate.startup', 'cpu_10_routes', translate.cpuMs, 'ms');
  report('translate.startup', 'wall_10_routes_without_compile_cache_p50', cold.wallMs, 'ms');
  report('translate.startup', 'cpu_10_routes_without_compile_cache', cold.cpuMs, 'ms');
  report('translate.startup', 'wall_node_alone_p50', node.wallMs, 'ms');
  report('translate.startup', 'cpu_node_alone', node.cpuMs, 'ms');
  report('translate.startup', 'cpu_over_node_alone', translate.cpuMs / node.cpuMs, 'ratio');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
