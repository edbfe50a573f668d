// The memory tests' measure: a script run in a child Node with --expose-gc, where `heapHeldBy(make)` gives what a
// value made by `make` holds of the heap after a full collection. The tests compare two such figures from one
// process — a ratio, steady on a shared machine where absolute bytes and timings are not.
import { spawnSync } from 'node:child_process';

const HEAP_HELD_BY = `
const heapHeldBy = (make) => {
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const kept = make();
  globalThis.gc();
  return { kept, held: process.memoryUsage().heapUsed - before };
};
`;

/** Runs `script` (an ES module body that may call `heapHeldBy`) and parses what it wrote to stdout as JSON. */
export function measureHeapInChild<T>(script: string): T {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--input-type=module', '-e', HEAP_HELD_BY + script],
    {
      encoding: 'utf8',
    },
  );
  if (child.status !== 0 || child.stderr !== '') {
    throw new Error(`the heap measure exited ${child.status}: ${child.stderr}`);
  }
  return JSON.parse(child.stdout) as T;
}
