import { describe, expect, it } from 'vitest';
import { assign, emit, setup } from 'xstate';
import { ActorSystem } from './ActorSystem.ts';
import type { Message } from './message.ts';
import { batch, deliverTo, type EffectReply, effectRequest, type Outgoing } from './outbox.ts';
import type { TraceEvent } from './TraceBus.ts';
import { VirtualClock } from './VirtualClock.ts';

interface Work extends Message<'work'> {
  readonly n: number;
}

/** Forwards every `work` message to `next` (when given) and remembers what it saw. */
function relay(next?: string) {
  return setup({
    types: {
      context: {} as { seen: number[] },
      events: {} as Work,
      emitted: {} as Outgoing,
    },
  }).createMachine({
    context: { seen: [] },
    initial: 'running',
    states: {
      running: {
        tags: ['ready'],
        on: {
          work: [
            {
              guard: () => next !== undefined,
              actions: [
                assign({ seen: ({ context, event }) => [...context.seen, event.n] }),
                emit(({ event }) => deliverTo(next ?? '', { type: 'work', n: event.n * 10 })),
              ],
            },
            { actions: assign({ seen: ({ context, event }) => [...context.seen, event.n] }) },
          ],
        },
      },
    },
  });
}

/** Throws on n === 13; otherwise records n. */
const fragile = setup({
  types: { context: {} as { seen: number[] }, events: {} as Work },
}).createMachine({
  context: { seen: [] },
  initial: 'running',
  states: {
    running: {
      tags: ['ready'],
      on: {
        work: {
          actions: assign({
            seen: ({ context, event }) => {
              if (event.n === 13) throw new Error('unlucky');
              return [...context.seen, event.n];
            },
          }),
        },
      },
    },
  },
});

function seenBy(system: ActorSystem, name: string): number[] {
  return (system.actor(name)!.context as { seen: number[] }).seen;
}

async function until(
  clock: VirtualClock,
  condition: () => boolean,
  stepMs = 10,
  maxSteps = 1000,
): Promise<void> {
  for (let i = 0; i < maxSteps && !condition(); i++) await clock.advance(stepMs);
  if (!condition()) throw new Error('condition not reached');
}

describe('ActorSystem', () => {
  it('carries messages through a chain of actors with causal metadata', async () => {
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    system.spawn({ name: 'a', machine: relay('b'), mailbox: { capacity: 2 } });
    system.spawn({ name: 'b', machine: relay('c'), mailbox: { capacity: 2 } });
    system.spawn({ name: 'c', machine: relay(), mailbox: { capacity: 2 } });
    const trace: TraceEvent[] = [];
    system.trace.events.subscribe((event) => trace.push(event));
    system.start();
    const a = system.ref<Work>('a');
    for (let n = 1; n <= 20; n++) await a.send({ type: 'work', n });
    await until(clock, () => seenBy(system, 'c').length === 20);
    expect(seenBy(system, 'c')).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 100));
    // The message c received first was caused by b's first message, which was caused by the outside send.
    const sends = trace.filter((e) => e.kind === 'send');
    const outside = sends.find((e) => e.actor === 'outside')!;
    const fromA = sends.find((e) => e.actor === 'a' && e.meta.causeId === outside.meta.id)!;
    const fromB = sends.find((e) => e.actor === 'b' && e.meta.causeId === fromA.meta.id);
    expect(fromB?.to).toBe('c');
    for (const stats of system.stats()) expect(stats.mailboxHighWaterMark).toBeLessThanOrEqual(2);
    await system.stop();
  });

  it('delivers a batch of intents in order, through backpressure, with its effects in their place', async () => {
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    const effects: number[] = [];
    const fanOut = setup({ types: { events: {} as Work, emitted: {} as Outgoing } }).createMachine({
      initial: 'running',
      states: {
        running: {
          tags: ['ready'],
          on: {
            work: {
              actions: emit(({ event }) =>
                batch(
                  Array.from({ length: event.n }, (_, i) =>
                    i % 1000 === 999 ? effectRequest('note', i) : deliverTo('sink', { type: 'work', n: i }),
                  ),
                ),
              ),
            },
          },
        },
      },
    });
    system.spawn({
      name: 'source',
      machine: fanOut,
      mailbox: { capacity: 1 },
      effects: { note: (i: number) => effects.push(i) },
    });
    const sink = setup({ types: { context: {} as { seen: number[] }, events: {} as Work } }).createMachine({
      context: { seen: [] },
      initial: 'running',
      states: {
        running: {
          tags: ['ready'],
          on: { work: { actions: ({ context, event }) => context.seen.push(event.n) } },
        },
      },
    });
    system.spawn({ name: 'sink', machine: sink, mailbox: { capacity: 8 } });
    system.start();
    await system.ref<Work>('source').send({ type: 'work', n: 100_000 });
    // The loops yield to the event loop every 128 messages: wait in turns of it, not on the virtual clock.
    for (let turn = 0; turn < 100_000 && seenBy(system, 'sink').length < 99_900; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(seenBy(system, 'sink')).toEqual(
      Array.from({ length: 100_000 }, (_, i) => i).filter((i) => i % 1000 !== 999),
    );
    expect(effects).toHaveLength(100);
    await system.stop();
  });

  it('starts an actor only after the actors it depends on report ready', async () => {
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    const slowToSync = setup({}).createMachine({
      initial: 'syncing',
      states: { syncing: { after: { 500: 'synced' } }, synced: { tags: ['ready'] } },
    });
    system.spawn({ name: 'source', machine: slowToSync, mailbox: { capacity: 1 } });
    system.spawn({ name: 'controller', machine: relay(), mailbox: { capacity: 1 }, dependsOn: ['source'] });
    system.start();
    await clock.advance(499);
    expect(system.actor('controller')?.status).toBe('created');
    expect(system.ready).toBe(false);
    await clock.advance(1);
    expect(system.actor('controller')?.status).toBe('running');
    expect(system.ready).toBe(true);
    await system.stop();
  });

  it('restarts a crashing actor with growing backoff and still handles what was queued', async () => {
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    const trace: TraceEvent[] = [];
    system.trace.events.subscribe((event) => trace.push(event));
    system.spawn({
      name: 'fragile',
      machine: fragile,
      mailbox: { capacity: 8 },
      supervision: { initialDelayMs: 100, factor: 2, maxDelayMs: 1000 },
    });
    system.start();
    const ref = system.ref<Work>('fragile');
    for (const n of [1, 13, 2, 13, 3]) await ref.send({ type: 'work', n });
    await until(
      clock,
      () => (system.actor('fragile')?.stats().restarts ?? 0) === 2 && seenBy(system, 'fragile').includes(3),
    );
    const stats = system.actor('fragile')!.stats();
    expect(stats.failures).toBe(2);
    expect(stats.lastError).toBe('unlucky');
    // Each restart starts from the initial state; messages queued behind the poison one are handled.
    expect(seenBy(system, 'fragile')).toEqual([3]);
    const restarts = trace
      .filter((e) => e.kind === 'restart')
      .map((e) => (e.kind === 'restart' ? e.delayMs : 0));
    expect(restarts).toEqual([100, 200]);
    expect(
      trace.filter((e) => e.kind === 'dequeue').map((e) => (e.kind === 'dequeue' ? e.messageType : '')),
    ).toEqual(['work', 'work', 'work', 'work', 'work']);
    await system.stop();
  });

  it('runs requested effects through ports and hands the outcome back to the machine', async () => {
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    const patcher = setup({
      types: {
        context: {} as { written: string[]; failures: string[] },
        events: {} as (Message<'patch'> & { readonly name: string }) | EffectReply,
        emitted: {} as Outgoing,
      },
    }).createMachine({
      context: { written: [], failures: [] },
      initial: 'idle',
      states: {
        idle: {
          tags: ['ready'],
          on: {
            patch: { target: 'writing', actions: emit(({ event }) => effectRequest('write', event.name)) },
          },
        },
        writing: {
          tags: ['ready', 'busy'],
          on: {
            'effect.done': {
              target: 'idle',
              actions: assign({
                written: ({ context, event }) => [...context.written, String(event.result)],
              }),
            },
            'effect.failed': {
              target: 'idle',
              actions: assign({ failures: ({ context, event }) => [...context.failures, event.error] }),
            },
          },
        },
      },
    });
    const calls: string[] = [];
    system.spawn({
      name: 'patcher',
      machine: patcher,
      mailbox: { capacity: 4 },
      effects: {
        write: async (name: string) => {
          calls.push(name);
          await clock.sleep(50);
          if (name === 'bad') throw new Error('conflict');
          return `${name}:ok`;
        },
      },
    });
    system.start();
    const ref = system.ref<Message<'patch'> & { name: string }>('patcher');
    for (const name of ['x', 'bad', 'y']) await ref.send({ type: 'patch', name });
    await until(clock, () => calls.length === 3 && system.actor('patcher')?.state === 'idle');
    const context = system.actor('patcher')!.context as { written: string[]; failures: string[] };
    expect(context.written).toEqual(['x:ok', 'y:ok']);
    expect(context.failures).toEqual(['conflict']);
    // `busy` paused intake: one write at a time, in order.
    expect(calls).toEqual(['x', 'bad', 'y']);
    await system.stop();
  });

  it('sends no effect.done for a one-way effect, but still reports its failures', async () => {
    const clock = new VirtualClock();
    const system = new ActorSystem({ clock });
    const notifier = setup({
      types: {
        context: {} as { replies: string[] },
        events: {} as (Message<'note'> & { readonly text: string }) | EffectReply,
        emitted: {} as Outgoing,
      },
    }).createMachine({
      context: { replies: [] },
      initial: 'running',
      states: {
        running: {
          tags: ['ready'],
          on: {
            note: { actions: emit(({ event }) => effectRequest('notify', event.text)) },
            'effect.done': {
              actions: assign({
                replies: ({ context, event }) => [...context.replies, `done:${event.result}`],
              }),
            },
            'effect.failed': {
              actions: assign({
                replies: ({ context, event }) => [...context.replies, `failed:${event.error}`],
              }),
            },
          },
        },
      },
    });
    const trace: TraceEvent[] = [];
    system.trace.events.subscribe((event) => trace.push(event));
    const calls: string[] = [];
    system.spawn({
      name: 'notifier',
      machine: notifier,
      mailbox: { capacity: 8 },
      oneWayEffects: ['notify'],
      effects: {
        notify: (text: string) => {
          calls.push(text);
          if (text === 'throws') throw new Error('sync failure');
          if (text === 'rejects')
            return clock.sleep(20).then(() => Promise.reject(new Error('async failure')));
          if (text === 'later') return clock.sleep(20).then(() => 'ignored');
          return 'ignored';
        },
      },
    });
    system.start();
    const ref = system.ref<Message<'note'> & { text: string }>('notifier');
    for (const text of ['now', 'throws', 'later', 'rejects']) await ref.send({ type: 'note', text });
    await until(clock, () => calls.length === 4 && system.actor('notifier')!.idle);
    const context = system.actor('notifier')!.context as { replies: string[] };
    expect(context.replies).toEqual(['failed:sync failure', 'failed:async failure']);
    const phases = trace.flatMap((e) => (e.kind === 'effect' ? [e.phase] : []));
    expect(phases.filter((phase) => phase === 'start')).toHaveLength(4);
    expect(phases.filter((phase) => phase === 'done')).toHaveLength(2);
    expect(phases.filter((phase) => phase === 'failed')).toHaveLength(2);
    const result = await system.stop(5_000);
    expect(result.drained).toBe(true);
  });

  it('does not starve timers when an effect port answers at once, forever', async () => {
    // A source whose watch port returns immediately re-requests it on every reply; without yielding to the event
    // loop that spins on microtasks and no timer (e.g. a stop deadline) ever fires.
    const eager = setup({
      types: { events: {} as EffectReply, emitted: {} as Outgoing },
    }).createMachine({
      initial: 'polling',
      states: {
        polling: {
          tags: ['ready'],
          entry: emit(() => effectRequest('poll', {})),
          on: { 'effect.done': { target: 'polling', reenter: true } },
        },
      },
    });
    const system = new ActorSystem();
    let polls = 0;
    system.spawn({
      name: 'eager',
      machine: eager,
      mailbox: { capacity: 1 },
      effects: { poll: () => ++polls },
    });
    system.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(polls).toBeGreaterThan(10);
    // Stopping refuses new effects, so the actor comes to rest and the stop drains in time.
    const result = await system.stop(5_000);
    expect(result.drained).toBe(true);
  });

  it('drains queued messages on stop', async () => {
    const system = new ActorSystem();
    system.spawn({ name: 'a', machine: relay('b'), mailbox: { capacity: 100 } });
    system.spawn({ name: 'b', machine: relay(), mailbox: { capacity: 100 }, dependsOn: ['a'] });
    system.start();
    await system.whenReady();
    const a = system.ref<Work>('a');
    for (let n = 0; n < 50; n++) a.trySend({ type: 'work', n });
    const result = await system.stop(5_000);
    expect(result.drained).toBe(true);
    expect(seenBy(system, 'b')).toHaveLength(50);
    expect(system.ready).toBe(false);
  });

  it('gives the same trace for the same inputs on a virtual clock', async () => {
    async function run(): Promise<string> {
      const clock = new VirtualClock();
      const system = new ActorSystem({ clock });
      const events: TraceEvent[] = [];
      system.trace.events.subscribe((event) => events.push(event));
      system.spawn({ name: 'a', machine: relay('b'), mailbox: { capacity: 3 } });
      system.spawn({ name: 'b', machine: relay(), mailbox: { capacity: 3 } });
      system.spawn({ name: 'fragile', machine: fragile, mailbox: { capacity: 3 } });
      system.start();
      const a = system.ref<Work>('a');
      const f = system.ref<Work>('fragile');
      for (let n = 1; n <= 15; n++) {
        await a.send({ type: 'work', n });
        await f.send({ type: 'work', n });
        await clock.advance(7);
      }
      await clock.advance(5_000);
      await system.stop();
      return JSON.stringify(events);
    }
    const first = await run();
    const second = await run();
    expect(first.length).toBeGreaterThan(1000);
    expect(second).toBe(first);
  });
});
