// runtime.pipeline: three XState-backed actors in a chain (a → b → c), messages/s end to end, with the trace
// bus unsubscribed and subscribed.
import { emit, setup } from 'xstate';
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

async function run(subscribed: boolean): Promise<number> {
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
  await system.stop();
  if (subscribed && traced === 0) throw new Error('the subscribed run saw no trace events');
  return MESSAGES / seconds;
}

await run(false); // warm-up
const unsubscribed = await run(false);
const subscribed = await run(true);
report('runtime.pipeline', 'throughput_unsubscribed', unsubscribed, 'msg/s');
report('runtime.pipeline', 'throughput_subscribed', subscribed, 'msg/s');
report('runtime.pipeline', 'subscribed_slowdown', unsubscribed / subscribed, 'ratio');
