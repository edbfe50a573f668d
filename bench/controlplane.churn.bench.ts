// controlplane.churn: at the full-sync scale (1,000 Gateways, 10,000 HTTPRoutes, 2,000 Services), UPDATES route
// changes spread over all routes (a new path each time), one after another → RSS and live heap at the end against
// what they were after the full sync (target, issue 22: RSS within 10 %; Envoy Gateway users saw churn take memory
// from < 512 MB to 16 GB), and p50/p99 from each event to its Gateway's updated IR (target: p99 ≤ 10 ms throughout).
// Like controlplane.incremental, each change is a `resource.upserted` sent to the HTTPRoute controller on a
// VirtualClock whose debounced flush is stepped to as soon as it is due.
// It runs in a child process whose heap is the one Node gives the chart's pod (memory limit 1 GiB → old generation
// 512 MiB): V8 lets garbage pile up to a multiple of the live heap that shrinks with that limit, and the pages it
// freed stay in RSS (docs/architecture.md, "Scale"), so the heap limit decides much of the RSS at the end — until
// the controller's quiet-time collection hands them back, which this starts as the controller does (rss_quiet_*).
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { parse } from 'yaml';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/messages.ts';
import { routeControllerName } from '../actors/route/index.ts';
import type { ResourceEvent } from '../model/resources/resource-events.ts';
import { fingerprint } from '../runtime/fingerprint.ts';
import { collectWhenSystemQuiet, type QuietCollection } from '../runtime/quiet-collection.ts';
import { FILES_SOURCE } from '../sources/files/messages.ts';
import type { FilesSourceContext } from '../sources/files/source-state.ts';
import {
  assertComplete,
  type DeployerContext,
  fullSync,
  routeManifest,
  SCALE,
  writeScale,
} from './controlplane.fullsync.bench.ts';
import { report, rssAfterReducingGcMiB, rssMiB } from './report.ts';

const UPDATES = Number(process.env.SWITCHYARD_BENCH_CHURN_UPDATES ?? 100_000);
/** Consecutive changes land on routes this far apart (a prime: every route is changed before one is again). */
const STRIDE = 7_919;
const CHANGE_LIMIT_MS = 5_000;
/** SWITCHYARD_BENCH_CHURN_HEAP_SNAPSHOTS=<dir>: heap snapshots after the full sync and at the end, to diff. */
const SNAPSHOT_DIR = process.env.SWITCHYARD_BENCH_CHURN_HEAP_SNAPSHOTS;
const TIME_LIMIT_MS = 60 * 60_000;
/** The controller's default --quiet-gc (seconds), in ms. */
const QUIET_MS = 5_000;
/** The old generation Node sizes for the chart's pod (deploy/manifests, memory limit 1 GiB). */
const POD_HEAP_MIB = 512;

if (process.env.SWITCHYARD_BENCH_CHURN_CHILD === undefined) {
  const child = spawn(
    process.execPath,
    [...process.execArgv, `--max-old-space-size=${POD_HEAP_MIB}`, fileURLToPath(import.meta.url)],
    { env: { ...process.env, SWITCHYARD_BENCH_CHURN_CHILD: '1' }, stdio: 'inherit' },
  );
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  process.exit(code ?? 1);
}

const watchdog = setTimeout(() => {
  process.stderr.write(`controlplane.churn: over ${TIME_LIMIT_MS} ms, giving up\n`);
  process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();

const heapMiB = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
/** The heap V8 keeps committed (heapTotal; read after heapMiB's collection): what RSS follows beyond the live heap. */
const heapTotalMiB = () => process.memoryUsage().heapTotal / 2 ** 20;

/**
 * RSS once the plane has been quiet for the controller's --quiet-gc period and its memory-reducing collection ran
 * (runtime/quiet-collection.ts, in real time as in the controller): what the process holds between bursts.
 */
async function rssOnceQuiet(collector: QuietCollection): Promise<number> {
  const before = collector.collections;
  const started = performance.now();
  while (collector.collections === before) {
    if (performance.now() - started > 10 * QUIET_MS) throw new Error('no quiet-time collection ran');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return rssMiB();
}

const dir = writeScale();
try {
  const { plane, clock } = await fullSync(dir);
  assertComplete(plane);
  // The updates below reach the HTTPRoute controller behind the files source's back (as a watch delivers them),
  // so the source would go on holding each route's spec as first read — shared with the stored object until the
  // first update, held by the source alone after it: +15 MiB once every route has changed, in no real run (an
  // edited file is read again, and the source then keeps the spec's digest). It keeps the digests from here on,
  // as after reading every file again unchanged.
  const source = plane.system.actor(FILES_SOURCE)!.context as FilesSourceContext;
  for (const [id, record] of source.generations)
    if (typeof record.spec !== 'string')
      source.generations.set(id, { spec: fingerprint(record.spec), generation: record.generation });
  // RSS is read twice at each end, the same way both times: as the run left it, then after a full collection
  // (which also hands freed pages back). The first includes whatever garbage the last burst left in the old
  // generation, the second is what the process keeps.
  const rssAfterSync = rssMiB();
  // Then as the controller leaves it once quiet: its quiet-time collection, started as it starts it (the sync's
  // messages count as the burst before it), in real time.
  let collection = { ms: 0, cpuMs: 0 };
  const collector = collectWhenSystemQuiet(plane.system, QUIET_MS, (report) => {
    collection = report;
  });
  const rssQuietAfterSync = await rssOnceQuiet(collector);
  const heapAfterSync = heapMiB();
  const heapTotalAfterSync = heapTotalMiB();
  const rssAfterSyncAfterGc = rssMiB();
  const rssAfterSyncReduced = rssAfterReducingGcMiB();
  if (SNAPSHOT_DIR !== undefined) writeHeapSnapshot(join(SNAPSHOT_DIR, 'after-fullsync.heapsnapshot'));
  const controller = plane.system.ref<ResourceEvent>(routeControllerName('HTTPRoute'));
  const deployer = plane.system.actor(GATEWAY_DEPLOYER)!.context as DeployerContext;

  /** Changes route `index` to path `/c<n>`; returns the ms until its Gateway's IR carries the path. */
  const change = async (index: number, n: number): Promise<number> => {
    const gateway = index % SCALE.gateways;
    const entry = deployer.gateways.get(
      `gateway.networking.k8s.io/Gateway/ns-${gateway % SCALE.namespaces}/gw-${gateway}`,
    );
    if (entry === undefined) throw new Error(`gw-${gateway} was not resolved`);
    // As a watch delivers it (JSON): an object parsed by the yaml package keeps spare array room and slices of its
    // text, which the files source and JSON.parse do not (docs/architecture.md, "Scale") — it would read as growth.
    // Its generation inside the JSON, as the API server writes it: set on the parsed object, the field would live
    // out of the object (a property array per route, read as growth).
    const manifest = parse(routeManifest(index, `/c${n}`)) as { metadata: Record<string, unknown> };
    manifest.metadata.generation = n + 2;
    const object = JSON.parse(JSON.stringify(manifest)) as typeof manifest;
    const mark = `"/c${n}"`;
    const before = entry.ir;
    const started = performance.now();
    await controller.send({ type: 'resource.upserted', object, origin: 'bench' });
    for (;;) {
      if (entry.ir !== before && JSON.stringify(entry.ir).includes(mark)) break;
      if (clock.nextDue() !== undefined) await clock.advance(Math.max(0, clock.nextDue()! - clock.now()));
      else await new Promise((resolve) => setImmediate(resolve));
      if (performance.now() - started > CHANGE_LIMIT_MS) throw new Error(`change ${n} never reached the IR`);
    }
    return performance.now() - started;
  };

  const samples = new Float64Array(UPDATES);
  const cpuStarted = process.cpuUsage();
  for (let n = 0; n < UPDATES; n++) samples[n] = await change((n * STRIDE) % SCALE.routes, n);
  const cpu = process.cpuUsage(cpuStarted);
  samples.sort();
  const quantile = (q: number) => samples[Math.min(UPDATES - 1, Math.ceil(q * UPDATES) - 1)]!;
  report('controlplane.churn', 'updates', UPDATES, 'count');
  report('controlplane.churn', 'event_to_ir_p50', quantile(0.5), 'ms');
  report('controlplane.churn', 'event_to_ir_p99', quantile(0.99), 'ms');
  report('controlplane.churn', 'event_to_ir_max', samples[UPDATES - 1]!, 'ms');
  report('controlplane.churn', 'cpu_per_update', (cpu.user + cpu.system) / 1000 / UPDATES, 'ms');
  const rssEnd = rssMiB();
  const rssQuietEnd = await rssOnceQuiet(collector);
  collector.stop();
  const heapEnd = heapMiB();
  const heapTotalEnd = heapTotalMiB();
  const rssEndAfterGc = rssMiB();
  const rssEndReduced = rssAfterReducingGcMiB();
  if (SNAPSHOT_DIR !== undefined) writeHeapSnapshot(join(SNAPSHOT_DIR, 'end.heapsnapshot'));
  report('controlplane.churn', 'rss_after_fullsync', rssAfterSync, 'MiB');
  report('controlplane.churn', 'rss_end', rssEnd, 'MiB');
  report('controlplane.churn', 'rss_growth', rssEnd / rssAfterSync, 'ratio');
  // The figure the target holds (issue 22): what the process keeps once the burst is over, both ends read alike.
  report('controlplane.churn', 'rss_quiet_after_fullsync', rssQuietAfterSync, 'MiB');
  report('controlplane.churn', 'rss_quiet_end', rssQuietEnd, 'MiB');
  report('controlplane.churn', 'rss_quiet_growth', rssQuietEnd / rssQuietAfterSync, 'ratio');
  // The last one's (at the end): wall time the process stood still, and its CPU time, which the load changes less.
  report('controlplane.churn', 'quiet_collection_pause', collection.ms, 'ms');
  report('controlplane.churn', 'quiet_collection_cpu', collection.cpuMs, 'ms');
  report('controlplane.churn', 'rss_after_gc_after_fullsync', rssAfterSyncAfterGc, 'MiB');
  report('controlplane.churn', 'rss_after_gc_end', rssEndAfterGc, 'MiB');
  report('controlplane.churn', 'rss_after_gc_growth', rssEndAfterGc / rssAfterSyncAfterGc, 'ratio');
  report('controlplane.churn', 'rss_after_reducing_gc_after_fullsync', rssAfterSyncReduced, 'MiB');
  report('controlplane.churn', 'rss_after_reducing_gc_end', rssEndReduced, 'MiB');
  report('controlplane.churn', 'rss_after_reducing_gc_growth', rssEndReduced / rssAfterSyncReduced, 'ratio');
  report('controlplane.churn', 'heap_used_after_gc_after_fullsync', heapAfterSync, 'MiB');
  report('controlplane.churn', 'heap_used_after_gc_end', heapEnd, 'MiB');
  report('controlplane.churn', 'heap_growth', heapEnd / heapAfterSync, 'ratio');
  report('controlplane.churn', 'heap_total_after_gc_after_fullsync', heapTotalAfterSync, 'MiB');
  report('controlplane.churn', 'heap_total_after_gc_end', heapTotalEnd, 'MiB');
  await plane.system.stop(5_000);
  plane.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
