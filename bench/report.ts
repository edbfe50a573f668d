// Every benchmark prints one JSON line per figure, so CI and people can collect them with `grep '^{'`.

export function report(bench: string, metric: string, value: number, unit: string): void {
  const rounded = Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 1000) / 1000;
  process.stdout.write(`${JSON.stringify({ bench, metric, value: rounded, unit })}\n`);
}

export function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

/**
 * RSS after a memory-reducing collection (what V8 runs under memory pressure), when the run exposes `gc`. Pages an
 * ordinary collection frees stay resident in V8's page pool — in RSS, not in heapTotal (`pooled:` in --trace-gc) —
 * until a memory-reducing collection hands them back: the difference to RSS after an ordinary collection is that
 * pool, the high-water mark of the garbage, not memory the process holds.
 */
export function rssAfterReducingGcMiB(): number {
  (globalThis.gc as ((options: object) => void) | undefined)?.({
    type: 'major',
    execution: 'sync',
    flavor: 'last-resort',
  });
  return rssMiB();
}
