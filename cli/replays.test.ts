// Every recorded log under test/replays/ replays to its expected output, twice to the same bytes.
// Re-record with `npx node test/replays/rerecord.ts [<name>...]` when behaviour changes on purpose.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readEventLog } from '../runtime/EventLog.ts';
import { checkpointsOf, replayExpected } from '../test/replays/expected.ts';

const dir = fileURLToPath(new URL('../test/replays', import.meta.url));
const logs = readdirSync(dir)
  .filter((name) => name.endsWith('.jsonl'))
  .sort();

describe('recorded replays', () => {
  it('has the recorded logs of the scenarios', () => {
    expect(logs.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of logs) {
    const name = file.replace(/\.jsonl$/, '');
    it(`${name} replays to its expected statuses and IR, deterministically`, async () => {
      const expected = readFileSync(join(dir, `${name}.expected.yaml`), 'utf8');
      const summary = /^# [^:]+: (.*)$/m.exec(expected)?.[1] ?? '';
      const checkpoints = checkpointsOf(expected);
      expect(checkpoints.length).toBeGreaterThanOrEqual(2);
      const log = readEventLog(join(dir, file));
      const first = await replayExpected(log, name, summary, checkpoints);
      expect(first.divergences).toEqual([]);
      expect(first.text).toBe(expected);
      const second = await replayExpected(log, name, summary, checkpoints);
      expect(second.text).toBe(first.text);
    });
  }
});
