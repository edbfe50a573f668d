// A memory-reducing garbage collection when the plane turns quiet after a burst (issue 22, controlplane.churn).
// An ordinary collection keeps the heap pages it frees resident in V8's page pool for reuse, so after a burst of
// changes RSS stays where the old generation last peaked; only a memory-reducing collection hands those pages back
// to the system. V8 starts one on its own from its memory reducer only ~100 s after the last major collection (its
// watchdog: in Node the reducer never judges the allocation rate low), and never while anything keeps collecting.
// The controller starts one itself once no message has been handled for a whole quiet period and RSS has grown
// since the last one (docs/architecture.md "Scale", docs/operations.md "V8 flags").
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ActorSystem } from './ActorSystem.ts';
import type { Clock, Timer } from './clock.ts';
import { SystemClock } from './SystemClock.ts';

export interface QuietCollectionOptions {
  readonly clock: Clock;
  /** Messages handled so far, across the system (only grows): activity is a change of it. */
  readonly handled: () => number;
  /** The process's resident set size in bytes. */
  readonly rss: () => number;
  /** Runs a memory-reducing collection. */
  readonly collect: () => void;
  /** A period in which no message was handled is quiet; checked once per period. */
  readonly quietMs: number;
  /** Collects only when RSS grew by more than this fraction over what the last collection left (0.05: 5 %). */
  readonly minGrowth?: number;
  /** Told after each collection: RSS before and after, and how long the collection took (wall and CPU). */
  readonly collected?: (report: QuietCollectionReport) => void;
}

export interface QuietCollectionReport {
  readonly rssBefore: number;
  readonly rssAfter: number;
  /** Wall time: how long the process stood still. */
  readonly ms: number;
  /** CPU time of the process meanwhile (GC threads included): what it costs whatever the machine's load. */
  readonly cpuMs: number;
}

export interface QuietCollection {
  /** Collections run so far. */
  readonly collections: number;
  stop(): void;
}

const DEFAULT_MIN_GROWTH = 0.05;

/**
 * Checks every `quietMs` whether a message was handled since the last check. A quiet period after activity, with
 * RSS more than `minGrowth` above what the previous collection left (nothing at start: the first quiet period
 * after start-up collects), runs `collect` once; the next one waits for new activity and new growth. Costs one
 * timer per period and nothing per message.
 */
export function collectWhenQuiet(options: QuietCollectionOptions): QuietCollection {
  const minGrowth = options.minGrowth ?? DEFAULT_MIN_GROWTH;
  // Messages handled before it started count as activity (a plane that synced before).
  let lastHandled = 0;
  let activeSinceCollection = false;
  let rssAfterLast = 0;
  let collections = 0;
  let timer: Timer | undefined;
  const check = () => {
    const handled = options.handled();
    const quiet = handled === lastHandled;
    lastHandled = handled;
    if (!quiet) activeSinceCollection = true;
    else if (activeSinceCollection) {
      const rssBefore = options.rss();
      if (rssBefore > rssAfterLast * (1 + minGrowth)) {
        const started = performance.now();
        const cpuStarted = process.cpuUsage();
        options.collect();
        const ms = performance.now() - started;
        const cpu = process.cpuUsage(cpuStarted);
        rssAfterLast = options.rss();
        collections++;
        options.collected?.({ rssBefore, rssAfter: rssAfterLast, ms, cpuMs: (cpu.user + cpu.system) / 1000 });
      }
      activeSinceCollection = false;
    }
    timer = options.clock.schedule(options.quietMs, check);
  };
  timer = options.clock.schedule(options.quietMs, check);
  return {
    get collections() {
      return collections;
    },
    stop() {
      timer?.cancel();
      timer = undefined;
    },
  };
}

type GcFunction = (options?: { type?: string; execution?: string; flavor?: string }) => void;

/**
 * V8's full, memory-reducing collection (the one it runs under memory pressure: everything collectable collected,
 * the page pool handed back), without `--expose-gc` on the command line: the flag is set for one new context, whose
 * `gc` is taken, and unset again so no other context gets it. Uses the global `gc` when the process has one.
 */
export function memoryReducingCollection(): () => void {
  let gc = (globalThis as { gc?: GcFunction }).gc;
  if (typeof gc !== 'function') {
    setFlagsFromString('--expose-gc');
    try {
      gc = runInNewContext('gc') as GcFunction;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  const collect = gc;
  return () => collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/**
 * What the controller runs (and bench/controlplane.churn measures): `system` quiet for `quietMs` of real time after
 * a burst that grew the process's RSS gets a memory-reducing collection.
 */
export function collectWhenSystemQuiet(
  system: ActorSystem,
  quietMs: number,
  collected?: (report: QuietCollectionReport) => void,
): QuietCollection {
  return collectWhenQuiet({
    clock: new SystemClock(),
    quietMs,
    handled: () => system.stats().reduce((sum, actor) => sum + actor.handled, 0),
    rss: () => process.memoryUsage.rss(),
    collect: memoryReducingCollection(),
    ...(collected === undefined ? {} : { collected }),
  });
}
