// Every index that holds an object's key formats its own id (formatResourceKey): the files source, the owners, the
// dependency index, the status store, the patchers. The ids of one key are one string in memory, however many
// times it was formatted. A child process with --expose-gc compares the heap held by ids formatted six times with
// one id held six times: a ratio within one process, no timing.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { measureHeapInChild } from '../../runtime/heap-held.ts';

const module = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'resource-key.ts')).href;

const MEASURE = `
const { formatResourceKey, resourceKey } = await import(${JSON.stringify(module)});
// Two sets of keys of the same sizes, one for each measure (an id the first set formatted is not the second's).
const keysOf = (set) => Array.from({ length: 20000 }, (_, i) =>
  resourceKey('gateway.envoyproxy.io', 'BackendTrafficPolicy', 'ns-' + (i % 10), set + '-btp-' + i));
const first = keysOf('a');
const sixTimesOne = heapHeldBy(() => {
  const ids = first.map(formatResourceKey);
  return Array.from({ length: 6 }, () => [...ids]);
});
sixTimesOne.kept.length = 0;
const second = keysOf('b');
const formattedSixTimes = heapHeldBy(() => Array.from({ length: 6 }, () => second.map(formatResourceKey)));
process.stdout.write(JSON.stringify({ sixFormats: formattedSixTimes.held, oneFormat: sixTimesOne.held }));
`;

describe('formatted resource keys in memory', () => {
  it('hold one string per key, however many indexes formatted it', () => {
    const { sixFormats, oneFormat } = measureHeapInChild<{ sixFormats: number; oneFormat: number }>(MEASURE);
    // Six copies of a ~60-character id and six array slots against one copy and six slots: ~4× when each
    // format is a string of its own.
    expect(sixFormats / oneFormat).toBeLessThan(1.5);
  });
});
