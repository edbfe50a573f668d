import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assign, enqueueActions, setup } from 'xstate';
import { ActorSystem } from './ActorSystem.ts';
import { EventLogError, parseEventLog, readEventLog } from './EventLog.ts';
import { sequentialIds } from './ids.ts';
import type { Message } from './message.ts';
import { deliverTo, type EffectReply, effectRequest, type Outgoing } from './outbox.ts';
import { runUntilQuiescent } from './quiescence.ts';
import { type MemoryEventLogSink, Recorder } from './Recorder.ts';
import { Replayer } from './Replayer.ts';
import { VirtualClock } from './VirtualClock.ts';

interface Job extends Message<'job'> {
  readonly n: number;
}
interface Total extends Message<'total'> {
  readonly total: number;
}

// A worker that computes each job through an effect, cools down on a timer, and reports running totals.
function workerMachine(skip?: number) {
  const onJob = [
    { guard: ({ event }: { event: Job }) => event.n === skip, target: 'idle' },
    {
      target: 'working',
      actions: enqueueActions(({ event, enqueue }: { event: Job; enqueue: { emit(e: Outgoing): void } }) =>
        enqueue.emit(effectRequest('compute', event.n)),
      ),
    },
  ];
  return setup({
    types: {
      context: {} as { total: number; failures: number; queue: number[] },
      events: {} as Job | EffectReply,
      emitted: {} as Outgoing,
    },
  }).createMachine({
    context: { total: 0, failures: 0, queue: [] },
    initial: 'idle',
    states: {
      idle: {
        tags: ['ready'],
        on: { job: onJob as never },
      },
      working: {
        tags: ['ready', 'busy'],
        on: {
          'effect.done': {
            target: 'cooling',
            actions: [
              assign({ total: ({ context, event }) => context.total + (event.result as number) }),
              enqueueActions(({ context, enqueue }) =>
                enqueue.emit(deliverTo('sink', { type: 'total', total: context.total })),
              ),
            ],
          },
          'effect.failed': {
            target: 'cooling',
            actions: assign({ failures: ({ context }) => context.failures + 1 }),
          },
        },
      },
      cooling: {
        tags: ['ready'],
        after: { 100: 'idle' },
        on: { job: onJob as never },
      },
    },
  });
}

const sinkMachine = setup({
  types: { context: {} as { totals: number[] }, events: {} as Total },
}).createMachine({
  context: { totals: [] },
  initial: 'collecting',
  states: {
    collecting: {
      tags: ['ready'],
      on: {
        total: { actions: assign({ totals: ({ context, event }) => [...context.totals, event.total] }) },
      },
    },
  },
});

function build(clock: VirtualClock, compute: (n: number) => unknown, skip?: number): ActorSystem {
  const system = new ActorSystem({ clock, ids: sequentialIds() });
  system.spawn({
    name: 'worker',
    machine: workerMachine(skip),
    mailbox: { capacity: 64 },
    effects: { compute: compute as (request: never) => unknown },
  });
  system.spawn({ name: 'sink', machine: sinkMachine, mailbox: { capacity: 64 } });
  return system;
}

const liveCompute = async (n: number) => {
  await new Promise((resolve) => setImmediate(resolve));
  if (n === 3) throw new Error('three is unlucky');
  return n * 2;
};

function outcome(system: ActorSystem) {
  return { worker: system.actor('worker')?.context, sink: system.actor('sink')?.context };
}

async function recordRun(recorder: (clock: VirtualClock) => Recorder) {
  const clock = new VirtualClock(1_000);
  const system = build(clock, liveCompute);
  const rec = recorder(clock);
  system.attachInputs(rec);
  system.start();
  for (let n = 1; n <= 5; n++) {
    await system.send<Job>('worker', { type: 'job', n });
    await clock.advance(30);
  }
  await runUntilQuiescent(system, clock);
  const result = outcome(system);
  await system.stop();
  rec.close();
  return { result, rec };
}

async function replay(text: string, skip?: number) {
  const clock = new VirtualClock(1_000);
  const system = build(
    clock,
    () => {
      throw new Error('replay must not call a port that is answered from the log');
    },
    skip,
  );
  const replayer = new Replayer({ log: parseEventLog(text), system, clock });
  await replayer.runUntil();
  const result = outcome(system);
  await replayer.stop();
  return { result, replayer };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('record and replay', () => {
  it('records effect outcomes, outside sends and timer firings with time and sequence', async () => {
    const { rec } = await recordRun((clock) => new Recorder({ clock, composition: { test: 'worker' } }));
    const log = parseEventLog((rec.sink as MemoryEventLogSink).text);
    expect(log.header).toMatchObject({
      segment: 0,
      firstSeq: 1,
      start: 1_000,
      composition: { test: 'worker' },
    });
    expect(log.records.map((r) => r.seq)).toEqual(log.records.map((_, i) => i + 1));
    expect(log.records.filter((r) => r.kind === 'send')).toHaveLength(5);
    expect(log.records.find((r) => r.kind === 'effect' && r.outcome === 'failed')).toMatchObject({
      actor: 'worker',
      effect: 'compute',
      call: 3,
      error: 'three is unlucky',
    });
    expect(log.records.filter((r) => r.kind === 'timer').every((r) => r.actor === 'worker')).toBe(true);
    const times = log.records.map((r) => r.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('replays to the same outcome without calling ports, and twice to the same result', async () => {
    const { result, rec } = await recordRun((clock) => new Recorder({ clock }));
    const text = (rec.sink as MemoryEventLogSink).text;
    const first = await replay(text);
    const second = await replay(text);
    expect(first.replayer.divergences).toEqual([]);
    expect(first.result).toEqual(result);
    expect(JSON.stringify(second.result)).toBe(JSON.stringify(first.result));
    expect(result.sink).toEqual({ totals: [2, 6, 14, 24] });
  });

  it('stops at --until and reports the state as it was then', async () => {
    const { rec } = await recordRun((clock) => new Recorder({ clock }));
    const log = parseEventLog((rec.sink as MemoryEventLogSink).text);
    const firstTotal = log.records.find((r) => r.kind === 'effect' && r.outcome === 'done')!;
    const clock = new VirtualClock(1_000);
    const system = build(clock, () => 0);
    const replayer = new Replayer({ log, system, clock });
    await replayer.runUntil(firstTotal.seq);
    expect(replayer.position).toBe(firstTotal.seq);
    expect(system.actor('sink')?.context).toEqual({ totals: [2] });
    await replayer.stop();
  });

  it('reports a divergence when the system no longer asks for what the log answers', async () => {
    const { rec } = await recordRun((clock) => new Recorder({ clock }));
    const { replayer } = await replay((rec.sink as MemoryEventLogSink).text, 2);
    expect(replayer.divergences.length).toBeGreaterThan(0);
    expect(replayer.divergences[0]).toMatch(/worker (did not request effect compute|never scheduled)/);
  });

  it('rotates at the size cap and replays the rotated segments in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-log-'));
    dirs.push(dir);
    const file = join(dir, 'events.jsonl');
    const { result } = await recordRun(
      (clock) => new Recorder({ clock, file: { path: file, maxBytes: 600, keep: 20 } }),
    );
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(600);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    const log = readEventLog(file);
    const clock = new VirtualClock(1_000);
    const system = build(clock, () => 0);
    const replayer = new Replayer({ log, system, clock });
    await replayer.runUntil();
    expect(replayer.divergences).toEqual([]);
    expect(outcome(system)).toEqual(result);
    await system.stop();
  });

  it('refuses a log whose first segments were rotated away', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-log-'));
    dirs.push(dir);
    const file = join(dir, 'events.jsonl');
    await recordRun((clock) => new Recorder({ clock, file: { path: file, maxBytes: 400, keep: 1 } }));
    expect(readFileSync(file, 'utf8')).toMatch(/"segment":[1-9]/);
    expect(() => readEventLog(file)).toThrow(/rotated away/);
  });

  it('refuses other formats, versions and gaps', () => {
    const header = {
      kind: 'header',
      format: 'switchyard.event-log',
      segment: 0,
      firstSeq: 1,
      start: 0,
      composition: {},
    };
    expect(() => parseEventLog(JSON.stringify({ ...header, version: 2 }))).toThrow(/version 2/);
    expect(() => parseEventLog(JSON.stringify({ ...header, version: 1, format: 'other' }))).toThrow(
      EventLogError,
    );
    const gap = [
      JSON.stringify({ ...header, version: 1 }),
      JSON.stringify({ seq: 2, time: 0, kind: 'send', to: 'a', message: { type: 'x' } }),
    ].join('\n');
    expect(() => parseEventLog(gap)).toThrow(/gap/);
  });
});
