// envoy.translate: the controlplane.fullsync scale (1,000 Gateways, 10,000 HTTPRoutes, 2,000 Services) as
// Gateway IR → Envoy resources: translateGateway for every Gateway, then every resource encoded to protobuf
// through envoyApi (as the ADS server's publish does) → time and heap growth.
// The IR is synthesised directly (bench/envoy-scale.ts: the shape buildGatewayIR gives fullsync's manifests),
// so the figure is the Envoy backend's alone. Heap growth = heap used (after a full GC) holding every
// Gateway's resources and encoded Anys, minus before; `allocated` adds what the collections during the run
// freed (v8 GCProfiler), i.e. every byte allocated.
import { GCProfiler } from 'node:v8';
import { translateGateway } from '../backends/envoy/index.ts';
import type { GatewayIR } from '../model/ir/gateway-ir.ts';
import { type Any, envoyApi, TYPE_URL } from '../protos/index.ts';
import { gatewayIROf, SCALE } from './envoy-scale.ts';
import { report, rssMiB } from './report.ts';

const BENCH = 'envoy.translate';
const TIME_LIMIT_MS = 60_000;
const MiB = 1024 * 1024;

const watchdog = setTimeout(() => {
  process.stderr.write(`${BENCH}: over ${TIME_LIMIT_MS} ms, giving up\n`);
  process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();

const gc = globalThis.gc ?? (() => {});
const api = envoyApi(); // loads the protos once, outside the figures
report(BENCH, 'proto_load', api.loadMillis, 'ms');
const irs: GatewayIR[] = [];
for (let g = 0; g < SCALE.gateways; g++) irs.push(gatewayIROf(g));

// Warm-up on a few Gateways so the figures are not the JIT's first pass (discarded).
for (let g = 0; g < 20; g++) translateGateway(irs[g]!, {});

const families = [
  ['listeners', TYPE_URL.listener],
  ['routeConfigurations', TYPE_URL.routeConfiguration],
  ['clusters', TYPE_URL.cluster],
  ['clusterLoadAssignments', TYPE_URL.clusterLoadAssignment],
  ['secrets', TYPE_URL.secret],
] as const;

gc();
const heapBefore = process.memoryUsage().heapUsed;
const profiler = new GCProfiler();
profiler.start();
const cpuStarted = process.cpuUsage();
const started = performance.now();
const translated = irs.map((ir) => translateGateway(ir, {}));
const translatedAt = performance.now();
const encoded: Any[] = [];
let bytes = 0;
for (const resources of translated) {
  for (const [field, typeUrl] of families) {
    for (const json of Object.values(resources[field])) {
      const any = api.pack(typeUrl, json);
      bytes += any.value.length;
      encoded.push(any);
    }
  }
}
const done = performance.now();
const cpu = process.cpuUsage(cpuStarted);
const heapPeak = process.memoryUsage().heapUsed;
// Bytes allocated = growth still in the heap + what every collection during the run freed.
let collected = 0;
let gcMs = 0;
for (const event of profiler.stop()?.statistics ?? []) {
  collected += event.beforeGC.heapStatistics.usedHeapSize - event.afterGC.heapStatistics.usedHeapSize;
  gcMs += event.cost / 1000;
}
gc();
const heapHeld = process.memoryUsage().heapUsed;

let routes = 0;
for (const resources of translated)
  for (const config of Object.values(resources.routeConfigurations))
    for (const host of (config as { virtualHosts: { routes: unknown[] }[] }).virtualHosts)
      routes += host.routes.length;
if (translated.some((r) => r.problems.length > 0)) throw new Error('translation reported problems');

report(BENCH, 'translate_all_gateways', translatedAt - started, 'ms');
report(BENCH, 'encode_all_resources', done - translatedAt, 'ms');
report(BENCH, 'translate_and_encode_total', done - started, 'ms');
report(BENCH, 'cpu_time_total', (cpu.user + cpu.system) / 1000, 'ms');
report(BENCH, 'resources_encoded', encoded.length, 'count');
report(BENCH, 'envoy_routes', routes, 'count');
report(BENCH, 'encoded_bytes', bytes / MiB, 'MiB');
report(BENCH, 'allocated', (heapPeak - heapBefore + collected) / MiB, 'MiB');
report(BENCH, 'gc_time', gcMs, 'ms');
report(BENCH, 'heap_growth_before_gc', (heapPeak - heapBefore) / MiB, 'MiB');
report(BENCH, 'heap_growth_retained_after_gc', (heapHeld - heapBefore) / MiB, 'MiB');
report(BENCH, 'rss_end', rssMiB(), 'MiB');
