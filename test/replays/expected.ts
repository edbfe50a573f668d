// The expected output of a recorded log: the statuses at each checkpoint (the end of each step of the recorded
// run) and the Gateway IR at the end, as YAML documents with the checkpoints as comments.
import { createReplay, planeOutcome, type ReplayResult, renderReplay } from '../../cli/replay.ts';
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
      renderReplay(result, 'status', 'yaml'),
    );
  }
  out.push(`---\n# gateway IR at seq=${last.checkpoint.seq}\n`, renderReplay(last.result, 'ir', 'yaml'));
  return out.join('');
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
    const result = planeOutcome(session.plane, session.replayer.position, session.replayer.divergences);
    sections.push({ checkpoint, result: JSON.parse(JSON.stringify(result)) as ReplayResult });
  }
  const divergences = [...session.replayer.divergences];
  await session.replayer.stop();
  session.plane.close();
  return { text: renderExpected(name, summary, sections), divergences };
}
