// runtime.mailbox: raw hand-off through one BoundedMailbox, one producer → one consumer.
import { BoundedMailbox } from '../runtime/BoundedMailbox.ts';
import { report } from './report.ts';

const MESSAGES = 5_000_000;

async function handOff(capacity: number): Promise<number> {
  const mailbox = new BoundedMailbox<number>(capacity);
  const started = performance.now();
  const producer = (async () => {
    for (let i = 0; i < MESSAGES; i++) {
      if (!mailbox.trySend(i)) await mailbox.send(i);
    }
  })();
  let received = 0;
  let sum = 0;
  while (received < MESSAGES) {
    let message = mailbox.take();
    if (message === undefined) {
      await mailbox.whenNonEmpty();
      message = mailbox.take();
    }
    if (message !== undefined) {
      sum += message;
      received++;
    }
  }
  await producer;
  const seconds = (performance.now() - started) / 1000;
  if (sum !== (MESSAGES * (MESSAGES - 1)) / 2) throw new Error('messages lost or reordered');
  return MESSAGES / seconds;
}

await handOff(1024); // warm-up
report('runtime.mailbox', 'throughput_capacity_1024', await handOff(1024), 'msg/s');
report('runtime.mailbox', 'throughput_capacity_64', await handOff(64), 'msg/s');
