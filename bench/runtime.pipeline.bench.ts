// runtime.pipeline: three XState-backed actors in a chain (a → b → c), messages/s end to end, with the trace
// bus unsubscribed and subscribed, and with the inspector attached (its bounded trace buffer alone, and with a
// client reading the full live trace stream).
import { spawn } from 'node:child_process';
import { createActor, emit, setup } from 'xstate';
import { startInspector } from '../inspector/InspectorServer.ts';
import { ActorSystem } from '../runtime/ActorSystem.ts';
import type { Message } from '../runtime/message.ts';
import { deliverTo, type Outgoing } from '../runtime/outbox.ts';
import { report } from './report.ts';

interface Hop extends Message<'hop'> {
  readonly n: number;
}

const MESSAGES = 200_000;

function forwarder(next: string) {
  return setup({ types: { events: {} as Hop, emitted: {} as Outgoing } }).createMachine({
    initial: 'running',
    states: {
      running: {
        tags: ['ready'],
        on: { hop: { actions: emit(({ event }) => deliverTo(next, { type: 'hop', n: event.n })) } },
      },
    },
  });
}

function sink(onMessage: (n: number) => void) {
  return setup({
    types: { events: {} as Hop },
    actions: { count: (_, params: { n: number }) => onMessage(params.n) },
  }).createMachine({
    initial: 'running',
    states: {
      running: {
        tags: ['ready'],
        on: { hop: { actions: { type: 'count', params: ({ event }) => ({ n: event.n }) } } },
      },
    },
  });
}

type Observer = 'none' | 'trace' | 'inspector' | 'inspector+ui' | 'inspector+flow' | 'inspector+firehose';
const STREAMS: Partial<Record<Observer, string>> = {
  // What the UI reads: actor stats and one trace summary per tick.
  'inspector+ui': 'trace=summary',
  // A tool following message flows: the send and effect events.
  'inspector+flow': 'trace=all&kinds=send,effect',
  // Every trace event (enqueue, dequeue and transitions too).
  'inspector+firehose': 'trace=all',
};
const streamedBytes: Partial<Record<Observer, number>> = {};

async function run(observer: Observer): Promise<number> {
  const subscribed = observer === 'trace';
  const system = new ActorSystem();
  let received = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  system.spawn({ name: 'a', machine: forwarder('b'), mailbox: { capacity: 1024 } });
  system.spawn({ name: 'b', machine: forwarder('c'), mailbox: { capacity: 1024 } });
  system.spawn({
    name: 'c',
    machine: sink(() => {
      if (++received === MESSAGES) done();
    }),
    mailbox: { capacity: 1024 },
  });
  let traced = 0;
  const subscription = subscribed ? system.trace.events.subscribe(() => traced++) : undefined;
  const inspector = observer.startsWith('inspector')
    ? await startInspector({ system, address: '127.0.0.1:0' })
    : undefined;
  // The stream's reader is another process, as a browser or a tool would be: it counts what it received.
  const reader =
    STREAMS[observer] !== undefined && inspector !== undefined
      ? spawn('sh', ['-c', `curl -sN '${inspector.url}/api/stream?${STREAMS[observer]}' | wc -c`], {
          stdio: ['ignore', 'pipe', 'ignore'],
        })
      : undefined;
  const readerBytes = new Promise<number>((resolve) => {
    let output = '';
    reader?.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    reader?.on('close', () => resolve(Number(output.trim())));
  });
  if (reader !== undefined) await waitForStreamClient(inspector!.url);
  system.start();
  await system.whenReady();
  const a = system.ref<Hop>('a');
  const started = performance.now();
  for (let n = 0; n < MESSAGES; n++) {
    if (!a.trySend({ type: 'hop', n })) await a.send({ type: 'hop', n });
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  subscription?.unsubscribe();
  await inspector?.close();
  await system.stop();
  if (subscribed && traced === 0) throw new Error('the subscribed run saw no trace events');
  if (reader !== undefined) {
    streamedBytes[observer] = await readerBytes;
    if (!((streamedBytes[observer] ?? 0) > 0)) throw new Error('the inspector stream carried nothing');
  }
  return MESSAGES / seconds;
}

/**
 * The same forwarder machine as a bare XState actor, no mailbox, loop or delivery: `send` per second. Each message
 * of the chain takes three such steps, so a third of this is what the chain could reach if the runtime around
 * XState cost nothing (docs/architecture.md, "The actor runtime", measured cost).
 */
function xstateSendsPerSecond(): number {
  const actor = createActor(forwarder('none'));
  let emitted = 0;
  actor.on('*', () => {
    emitted++;
  });
  actor.start();
  const started = performance.now();
  for (let n = 0; n < MESSAGES; n++) actor.send({ type: 'hop', n, meta: { id: String(n), time: 0 } });
  const seconds = (performance.now() - started) / 1000;
  actor.stop();
  if (emitted !== MESSAGES) throw new Error(`the bare actor emitted ${emitted} of ${MESSAGES}`);
  return MESSAGES / seconds;
}

await run('none'); // warm-up
const unsubscribed = await run('none');
const subscribed = await run('trace');
xstateSendsPerSecond(); // warm-up
const xstateSends = xstateSendsPerSecond();
report('runtime.pipeline', 'throughput_unsubscribed', unsubscribed, 'msg/s');
report('runtime.pipeline', 'xstate_sends_alone', xstateSends, 'msg/s');
report('runtime.pipeline', 'chain_ceiling_from_xstate_alone', xstateSends / 3, 'msg/s');
// The share of the chain's time that is XState's own step (three per message); the rest is the runtime around it.
report('runtime.pipeline', 'xstate_share_of_chain', (3 * unsubscribed) / xstateSends, 'ratio');
report('runtime.pipeline', 'throughput_subscribed', subscribed, 'msg/s');
report('runtime.pipeline', 'subscribed_slowdown', unsubscribed / subscribed, 'ratio');
// The inspector's cost (target: at most 2×): attached with no client, with the UI open, with a flow-following
// tool, and with a client of every trace event. A lagging client is dropped at 1 MiB of backlog, so each stream
// figure also reports how much its reader received.
for (const [observer, name] of [
  ['inspector', 'inspector'],
  ['inspector+ui', 'inspector_ui'],
  ['inspector+flow', 'inspector_flow_stream'],
  ['inspector+firehose', 'inspector_firehose_stream'],
] as const) {
  const throughput = await run(observer);
  report('runtime.pipeline', `throughput_${name}`, throughput, 'msg/s');
  report('runtime.pipeline', `${name}_slowdown`, unsubscribed / throughput, 'ratio');
  const bytes = streamedBytes[observer];
  if (bytes !== undefined) report('runtime.pipeline', `${name}_received`, bytes / 2 ** 20, 'MiB');
}

/** Resolves once the stream's reader is connected. */
async function waitForStreamClient(url: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const system = (await (await fetch(`${url}/api/system`)).json()) as { streams?: number };
    if ((system.streams ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the stream reader did not connect');
}
