// controlplane.route-change: what one route change costs the controller, in this process, when its Gateway serves
// ROUTES HTTPRoutes without hostnames (one virtual host: every change is a new RouteConfiguration holding every
// route, as in e2e.apply-to-traffic and e2e.files-to-traffic). A files-mode plane on a VirtualClock with the Envoy
// backend publishing to a real ADS server (no proxy connected: translation and encoding run, nothing is sent), then
// CHANGES route updates (a new path each), each sent straight to the HTTPRoute controller and run until the plane
// is quiet → CPU ms per change (p50, mean; the first WARM_UP not counted): the figure that holds on a loaded machine,
// without the API server, Envoy or file reads of the e2e benchmarks. SWITCHYARD_BENCH_ROUTE_CHANGE_ROUTES (10,000).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/index.ts';
import { routeControllerName } from '../actors/route/index.ts';
import { envoyBackendSpec, XdsServer } from '../backends/envoy/index.ts';
import { createControlPlane } from '../cli/control-plane.ts';
import type { ResourceEvent } from '../model/resources/resource-events.ts';
import type { ActorSpec } from '../runtime/ActorSpec.ts';
import { createLogger } from '../runtime/logger.ts';
import type { Message } from '../runtime/message.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import { percentile } from './e2e-parts.ts';
import { report } from './report.ts';

const BENCH = 'controlplane.route-change';
const ROUTES = Number(process.env.SWITCHYARD_BENCH_ROUTE_CHANGE_ROUTES ?? 10_000);
const CHANGES = 60;
const WARM_UP = 10;
const NS = 'bench';
const TIME_LIMIT_MS = 10 * 60_000;

const watchdog = setTimeout(() => {
  process.stderr.write(`${BENCH}: over ${TIME_LIMIT_MS} ms, giving up\n`);
  process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();

function route(i: number, path: string, generation = 1): Record<string, unknown> {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: `route-${i}`, namespace: NS, generation },
    spec: {
      parentRefs: [{ name: 'edge' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: path } }],
          backendRefs: [{ name: 'app', port: 8080 }],
        },
      ],
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-route-change-'));
const xds = await XdsServer.start({ address: '127.0.0.1:0' });
try {
  const base = [
    'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: bench}\nspec: {controllerName: switchyard.dev/gateway-controller}\n',
    `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: ${NS}}\nspec:\n  gatewayClassName: bench\n  listeners: [{name: http, protocol: HTTP, port: 8080}]\n`,
    `apiVersion: v1\nkind: Service\nmetadata: {name: app, namespace: ${NS}}\nspec:\n  ports: [{name: http, port: 8080, targetPort: 3000}]\n`,
    `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: app-1\n  namespace: ${NS}\n  labels: {kubernetes.io/service-name: app}\naddressType: IPv4\nports: [{name: http, port: 3000, protocol: TCP}]\nendpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]\n`,
  ];
  const routes = Array.from({ length: ROUTES }, (_, i) => `${JSON.stringify(route(i, `/r/${i}`))}\n`);
  writeFileSync(join(dir, 'all.yaml'), [...base, ...routes].join('---\n'));
  let published = 0;
  const clock = new VirtualClock();
  const plane = createControlPlane({
    clock,
    logger: createLogger({ level: 'silent' }),
    files: { paths: [dir], watch: false },
    backends: {
      envoy: envoyBackendSpec({
        name: 'backend.envoy',
        deployer: GATEWAY_DEPLOYER,
        // Counts the publishes, so a change that published nothing fails the run instead of measuring nothing.
        xds: {
          publish: (...args: Parameters<XdsServer['publish']>) => {
            published++;
            return xds.publish(...args);
          },
          withdraw: (...args: Parameters<XdsServer['withdraw']>) => xds.withdraw(...args),
          onReport: (listener) => xds.onReport(listener),
        },
      }) as unknown as ActorSpec<Message>,
    },
  });
  plane.system.start();
  await runUntilQuiescent(plane.system, clock, 10_000_000);
  const controller = plane.system.ref<ResourceEvent>(routeControllerName('HTTPRoute'));
  const cpu: number[] = [];
  for (let n = 0; n < CHANGES; n++) {
    const i = (n * 7919) % ROUTES; // spread over the routes, as the e2e benchmarks change them
    const before = published;
    const started = process.cpuUsage();
    await controller.send({
      type: 'resource.upserted',
      object: route(i, `/v${n}/r/${i}`, n + 2) as never,
      origin: 'bench',
    });
    await runUntilQuiescent(plane.system, clock, 10_000_000);
    const used = process.cpuUsage(started);
    if (published === before) throw new Error(`change ${n} published nothing`);
    if (n >= WARM_UP) cpu.push((used.user + used.system) / 1000);
  }
  const suffix = `_at_${ROUTES / 1000}k_routes`;
  report(BENCH, `cpu_per_change_p50${suffix}`, percentile(cpu, 50), 'ms');
  report(BENCH, `cpu_per_change_mean${suffix}`, cpu.reduce((a, b) => a + b, 0) / cpu.length, 'ms');
  plane.close();
  await plane.system.stop(2_000);
} finally {
  await xds.stop();
  rmSync(dir, { recursive: true, force: true });
}
