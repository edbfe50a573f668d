// Records one scenario from a real run of the standalone pipeline: real manifest files read by the files source's
// real ports, on a virtual clock so the recording does not depend on how fast this machine is.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlPlane } from '../../cli/control-plane.ts';
import { DEFAULT_CONTROLLER_NAME } from '../../model/gateway-api/gateway-class.ts';
import type { RecordedComposition } from '../../replay/composition.ts';
import { planeOutcome, type ReplayResult } from '../../replay/session.ts';
import type { ActorSystem } from '../../runtime/ActorSystem.ts';
import { sequentialIds } from '../../runtime/ids.ts';
import { createLogger } from '../../runtime/logger.ts';
import { MemoryEventLogSink, Recorder } from '../../runtime/Recorder.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { FILES_SOURCE, type FilesChanged } from '../../sources/files/messages.ts';
import { type Checkpoint, renderExpected } from './expected.ts';
import type { Scenario } from './scenarios.ts';

/** 2026-01-01T00:00:00Z: condition times in the expected outputs read as dates, not as the epoch. */
export const RECORDING_START = Date.UTC(2026, 0, 1);
const STEP_MS = 1_000;

export interface Recording {
  /** The event log (JSONL). */
  readonly log: string;
  /** What the live run showed at each checkpoint (the end of each step), in the expected-file format. */
  readonly live: string;
  readonly checkpoints: readonly Checkpoint[];
  readonly result: ReplayResult;
}

export async function recordScenario(scenario: Scenario): Promise<Recording> {
  // A fixed directory: file paths are part of the recorded inputs, so re-recording must not change them.
  const dir = join(tmpdir(), 'switchyard-replays', scenario.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const write = (files: Readonly<Record<string, string | null>>) => {
    for (const [name, content] of Object.entries(files)) {
      if (content === null) rmSync(join(dir, name), { force: true });
      else writeFileSync(join(dir, name), content);
    }
  };
  write(scenario.initial);

  const clock = new VirtualClock(RECORDING_START);
  const files = { watch: true };
  const composition: RecordedComposition = {
    kind: 'control-plane',
    controllerName: DEFAULT_CONTROLLER_NAME,
    files,
    flushDelayMs: 20,
  };
  const plane = createControlPlane({
    clock,
    ids: sequentialIds(),
    logger: createLogger({ level: 'silent' }),
    controllerName: composition.controllerName,
    files: { paths: [dir], watch: files.watch },
    flushDelayMs: composition.flushDelayMs,
  });
  const sink = new MemoryEventLogSink();
  const recorder = new Recorder({
    clock,
    sink,
    composition: composition as unknown as Record<string, unknown>,
  });
  plane.system.attachInputs(recorder);
  plane.system.start();
  await rest(plane.system, clock);
  const sections: { checkpoint: Checkpoint; result: ReplayResult }[] = [];
  const checkpoint = (note: string) => {
    const result = planeOutcome(plane, recorder.recorded);
    // A deep copy: the store keeps changing after the checkpoint.
    sections.push({
      checkpoint: { seq: recorder.recorded, note },
      result: JSON.parse(JSON.stringify(result)),
    });
  };
  checkpoint('initial listing');
  // The steps announce their own changes (as the watcher would, but deterministically): stop the real watcher.
  plane.close();

  const source = plane.system.ref<FilesChanged>(FILES_SOURCE);
  for (const step of scenario.steps) {
    await clock.advance(STEP_MS);
    if (step.files !== undefined) {
      write(step.files);
      await source.send({
        type: 'files.changed',
        paths: Object.keys(step.files).map((name) => join(dir, name)),
      });
    }
    if (step.flood !== undefined) {
      for (const content of step.flood.contents) {
        write({ [step.flood.file]: content });
        await source.send({ type: 'files.changed', paths: [join(dir, step.flood.file)] });
      }
    }
    await rest(plane.system, clock);
    checkpoint(step.note);
  }

  await plane.system.stop(5_000);
  recorder.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    log: sink.text,
    live: renderExpected(scenario.name, scenario.summary, sections),
    checkpoints: sections.map((section) => section.checkpoint),
    result: sections.at(-1)!.result,
  };
}

/**
 * `runUntilQuiescent`, but each turn waits on the timers phase, not `setImmediate`: the files source reads real
 * files on libuv's thread pool, which on a busy machine can take longer than any fixed number of immediate turns.
 */
async function rest(system: ActorSystem, clock: VirtualClock): Promise<void> {
  const turn = () => new Promise((resolve) => setTimeout(resolve, 0));
  for (let step = 0; step < 100_000; step++) {
    await turn();
    if (!system.idle) continue;
    await turn();
    if (!system.idle) continue;
    const due = clock.nextDue();
    if (due === undefined) return;
    await clock.advance(Math.max(0, due - clock.now()));
  }
  throw new Error('the recorded system did not come to rest');
}
