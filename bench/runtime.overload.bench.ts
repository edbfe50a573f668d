// runtime.overload: a producer 10× faster than its consumer for 10 s. Backpressure must hold memory flat
// and lose nothing: reports RSS growth and messages lost.
import { setup } from 'xstate';
import { ActorSystem } from '../runtime/ActorSystem.ts';
import type { Message } from '../runtime/message.ts';
import { report, rssMiB } from './report.ts';

interface Job extends Message<'job'> {
  readonly n: number;
  readonly payload: string;
}

const DURATION_MS = 10_000;
const CONSUMER_WORK_MS = 0.1;

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

let consumed = 0;
const consumer = setup({
  types: { events: {} as Job },
  actions: {
    work: () => {
      spin(CONSUMER_WORK_MS);
      consumed++;
    },
  },
}).createMachine({
  initial: 'running',
  states: { running: { tags: ['ready'], on: { job: { actions: 'work' } } } },
});

const system = new ActorSystem();
system.spawn({ name: 'consumer', machine: consumer, mailbox: { capacity: 1024 } });
system.start();
await system.whenReady();
const ref = system.ref<Job>('consumer');

// The producer aims at 10× the consumer's rate: 10 messages per consumer work unit, each with a 1 KiB payload.
const payload = 'x'.repeat(1024);
let produced = 0;
async function produceFor(ms: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    for (let i = 0; i < 10; i++)
      await ref.send({ type: 'job', n: produced++, payload: payload.slice(0, 1023) + i });
    spin(CONSUMER_WORK_MS / 10);
  }
  return performance.now() - started;
}

// Warm-up (JIT, heap sizing) is not growth: the baseline is taken after one second of the same load.
await produceFor(1_000);
globalThis.gc?.();
const rssBefore = rssMiB();
const heapBefore = process.memoryUsage().heapUsed;
let rssPeak = rssBefore;
const sampler = setInterval(() => {
  rssPeak = Math.max(rssPeak, rssMiB());
}, 100);

const producedBefore = produced;
const elapsed = await produceFor(DURATION_MS);
const offeredRate = (produced - producedBefore) / (elapsed / 1000);
globalThis.gc?.();
const heapGrowth = (process.memoryUsage().heapUsed - heapBefore) / (1024 * 1024);
await system.stop(30_000);
clearInterval(sampler);
rssPeak = Math.max(rssPeak, rssMiB());

report('runtime.overload', 'rss_growth', rssPeak - rssBefore, 'MiB');
report('runtime.overload', 'heap_growth_after_gc', heapGrowth, 'MiB');
report('runtime.overload', 'messages_lost', produced - consumed, 'messages');
report('runtime.overload', 'messages_handled', consumed, 'messages');
report('runtime.overload', 'producer_rate_under_backpressure', offeredRate, 'msg/s');
report(
  'runtime.overload',
  'mailbox_high_water_mark',
  system.stats()[0]?.mailboxHighWaterMark ?? 0,
  'messages',
);
