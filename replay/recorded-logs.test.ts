// Every recorded log under test/replays/ replays to its expected output, twice to the same bytes.
// Re-record with `npx node test/replays/rerecord.ts [<name>...]` when behaviour changes on purpose.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readEventLog } from '../runtime/EventLog.ts';
import { checkpointsOf, replayExpected } from '../test/replays/expected.ts';
import { FLOOD_UPDATES } from '../test/replays/kube-scenarios.ts';

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

describe('the recorded flood of route updates through the API server', () => {
  it('delivers every update and writes the route status fewer times: the updates coalesced', () => {
    const log = readEventLog(join(dir, 'kube-route-update-flood.jsonl'));
    const records = log.records as unknown as {
      kind: string;
      actor?: string;
      effect?: string;
      message?: { type: string; event?: { object?: { kind?: string; metadata?: { generation?: number } } } };
    }[];
    const updates = records.filter((record) => {
      const object = record.message?.type === 'watch.event' ? record.message.event?.object : undefined;
      return object?.kind === 'HTTPRoute' && (object.metadata?.generation ?? 0) > 1;
    });
    const generations = new Set(updates.map((record) => record.message?.event?.object?.metadata?.generation));
    expect(generations.size).toBe(FLOOD_UPDATES);
    const routeWrites = records.filter(
      (record) =>
        record.kind === 'effect' && record.actor === 'patcher.HTTPRoute' && record.effect === 'write-status',
    );
    // One write from the initial listing, then far fewer than one per update.
    expect(routeWrites.length).toBeGreaterThanOrEqual(2);
    expect(routeWrites.length - 1).toBeLessThan(FLOOD_UPDATES / 2);
  });
});
