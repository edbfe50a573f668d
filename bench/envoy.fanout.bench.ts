// envoy.fanout: 1,000 delta ADS streams opened by a separate Node process (bench/envoy-fanout-clients.ts, one
// HTTP/2 connection per stream, like 1,000 Envoys) to the XdsServer in this process, every node on the same
// Gateway (gw-0 of the fullsync scale: 10 HTTPRoutes) → one route change for all → time from the change
// (translateGateway + publish) until every proxy has ACKed it (the server's `envoy.proxy.synced` for the new
// revision from all 1,000). Repeated 10 times. Target ≤ 1 s.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { translateGateway, XdsServer } from '../backends/envoy/index.ts';
import { gatewayIROf, gatewayKeyOf, nodeClusterOfGateway, quantile, routesOfGateway } from './envoy-scale.ts';
import { report, rssMiB } from './report.ts';

const BENCH = 'envoy.fanout';
const STREAMS = Number(process.env.FANOUT_STREAMS ?? 1_000);
const CONNECTIONS = Number(process.env.FANOUT_CONNECTIONS ?? STREAMS);
const CHANGES = 10;
const TIME_LIMIT_MS = 60_000;
const GATEWAY = 0;

const watchdog = setTimeout(() => {
  process.stderr.write(`${BENCH}: over ${TIME_LIMIT_MS} ms, giving up\n`);
  child?.kill();
  process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();

const xds = await XdsServer.start({ address: '127.0.0.1:0' });
const key = gatewayKeyOf(GATEWAY);
let revision = 1;
xds.publish(key, revision, translateGateway(gatewayIROf(GATEWAY), {}));

// Proxies that have ACKed each revision in full.
const syncedAt = new Map<number, Set<string>>();
let waiter: { revision: number; resolve: () => void } | undefined;
xds.onReport((r) => {
  if (r.type === 'envoy.proxy.disconnected') throw new Error(`${r.proxy} disconnected`);
  if (r.type !== 'envoy.proxy.synced') return;
  const set = syncedAt.get(r.revision) ?? new Set<string>();
  set.add(r.proxy);
  syncedAt.set(r.revision, set);
  if (waiter !== undefined && waiter.revision === r.revision && set.size === STREAMS) waiter.resolve();
});
const allSynced = (rev: number) =>
  new Promise<void>((resolve) => {
    if ((syncedAt.get(rev)?.size ?? 0) === STREAMS) resolve();
    else waiter = { revision: rev, resolve };
  });

const here = dirname(fileURLToPath(import.meta.url));
const connectStarted = performance.now();
const child = spawn(
  process.execPath,
  [
    join(here, 'envoy-fanout-clients.ts'),
    xds.address,
    nodeClusterOfGateway(GATEWAY),
    String(STREAMS),
    String(CONNECTIONS),
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
child.on('exit', (code, signal) => {
  if (!stopping) {
    process.stderr.write(`${BENCH}: client process exited early (${code ?? signal})\n`);
    process.exit(1);
  }
});
let stopping = false;
await allSynced(revision);
report(BENCH, 'connect_and_sync_all', performance.now() - connectStarted, 'ms');
report(BENCH, 'streams', STREAMS, 'count');
report(BENCH, 'connections', CONNECTIONS, 'count');
globalThis.gc?.();
report(BENCH, 'rss_server_with_streams', rssMiB(), 'MiB');

const routes = routesOfGateway(GATEWAY);
const samples: number[] = [];
const cpuStarted = process.cpuUsage();
for (let n = 0; n < CHANGES; n++) {
  const ir = gatewayIROf(GATEWAY, new Map([[routes[n % routes.length]!, `/changed-${n}`]]));
  const synced = allSynced(++revision);
  const started = performance.now();
  xds.publish(key, revision, translateGateway(ir, {}));
  await synced;
  samples.push(performance.now() - started);
}
const cpu = process.cpuUsage(cpuStarted);
const sorted = [...samples].sort((a, b) => a - b);
report(BENCH, 'change_to_all_acked_p50', quantile(sorted, 0.5), 'ms');
report(BENCH, 'change_to_all_acked_max', sorted[sorted.length - 1]!, 'ms');
report(BENCH, 'change_to_all_acked_first', samples[0]!, 'ms');
report(BENCH, 'server_cpu_time_per_change', (cpu.user + cpu.system) / 1000 / CHANGES, 'ms');
stopping = true;
child.kill('SIGTERM');
await xds.stop();
process.exit(0);
