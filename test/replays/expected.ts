// The expected output of a recorded log: the statuses at each checkpoint (the end of each step of the recorded
// run) and the Gateway IR at the end, as YAML documents with the checkpoints as comments.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderReplay } from '../../replay/output.ts';
import { createReplay, planeOutcome, type ReplayResult } from '../../replay/session.ts';
import type { EventLog } from '../../runtime/EventLog.ts';

export interface Checkpoint {
  readonly seq: number;
  readonly note: string;
}

export function renderExpected(
  name: string,
  summary: string,
  sections: readonly { readonly checkpoint: Checkpoint; readonly result: ReplayResult }[],
): string {
  const last = sections.at(-1);
  if (last === undefined) throw new Error(`${name}: no checkpoint`);
  const out = [`# ${name}: ${summary}\n`];
  for (const { checkpoint, result } of sections) {
    out.push(
      `---\n# checkpoint seq=${checkpoint.seq}: ${checkpoint.note}\n`,
      renderReplay(withoutServerMetadata(result), 'status', 'yaml'),
    );
  }
  out.push(`---\n# gateway IR at seq=${last.checkpoint.seq}\n`, renderReplay(last.result, 'ir', 'yaml'));
  const xds = renderReplay(last.result, 'xds', 'yaml');
  if (xds !== '') out.push(`---\n# xDS snapshots at seq=${last.checkpoint.seq}\n`, xds);
  return out.join('');
}

/**
 * The objects without the metadata the API server assigns anew on every recording (uid, resourceVersion,
 * creationTimestamp, managedFields), so a re-recorded Kubernetes log shows only what changed in behaviour. The
 * log itself keeps them; objects read from files have none.
 */
function withoutServerMetadata(result: ReplayResult): ReplayResult {
  const objects = result.objects.map((object) => {
    const metadata = object.metadata as Record<string, unknown> | undefined;
    if (metadata === undefined) return object;
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, managedFields: _m, ...kept } = metadata;
    return { ...object, metadata: kept };
  });
  return { ...result, objects };
}

export function checkpointsOf(expected: string): Checkpoint[] {
  return [...expected.matchAll(/^# checkpoint seq=(\d+): (.*)$/gm)].map((match) => ({
    seq: Number(match[1]),
    note: match[2]!,
  }));
}

/** Replays `log` checkpoint by checkpoint and renders what it finds, to compare with the expected file. */
export async function replayExpected(
  log: EventLog,
  name: string,
  summary: string,
  checkpoints: readonly Checkpoint[],
): Promise<{ text: string; divergences: readonly string[] }> {
  const session = createReplay(log);
  const sections: { checkpoint: Checkpoint; result: ReplayResult }[] = [];
  for (const checkpoint of checkpoints) {
    await session.replayer.runUntil(checkpoint.seq);
    const result = planeOutcome(
      session.plane,
      session.replayer.position,
      session.replayer.divergences,
      session.snapshots,
    );
    sections.push({ checkpoint, result: JSON.parse(JSON.stringify(result)) as ReplayResult });
  }
  const divergences = [...session.replayer.divergences];
  await session.replayer.stop();
  session.plane.close();
  return { text: renderExpected(name, summary, sections), divergences };
}

/** A unified diff of an expected output before and after re-recording. */
export function diff(before: string, after: string, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-rerecord-'));
  try {
    writeFileSync(join(dir, 'before'), before);
    writeFileSync(join(dir, 'after'), after);
    const result = spawnSync(
      'diff',
      [
        '-u',
        '--label',
        `${name} (before)`,
        '--label',
        `${name} (after)`,
        join(dir, 'before'),
        join(dir, 'after'),
      ],
      { encoding: 'utf8' },
    );
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
