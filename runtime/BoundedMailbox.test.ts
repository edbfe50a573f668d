import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedMailbox } from './BoundedMailbox.ts';
import { MailboxClosedError } from './Mailbox.ts';

describe('BoundedMailbox', () => {
  it('holds at most its capacity and refuses trySend when full', () => {
    const mailbox = new BoundedMailbox<number>(3);
    expect([1, 2, 3, 4].map((n) => mailbox.trySend(n))).toEqual([true, true, true, false]);
    expect(mailbox.size).toBe(3);
    expect(mailbox.highWaterMark).toBe(3);
    expect([mailbox.take(), mailbox.take(), mailbox.take(), mailbox.take()]).toEqual([1, 2, 3, undefined]);
  });

  it('suspends send while full and resumes the senders in arrival order', async () => {
    const mailbox = new BoundedMailbox<string>(1);
    await mailbox.send('a');
    const resumed: string[] = [];
    const b = mailbox.send('b').then(() => resumed.push('b'));
    const c = mailbox.send('c').then(() => resumed.push('c'));
    await Promise.resolve();
    expect(resumed).toEqual([]);
    expect(mailbox.waitingSenders).toBe(2);
    // A trySend must not overtake suspended senders.
    expect(mailbox.trySend('late')).toBe(false);
    expect(mailbox.take()).toBe('a');
    await b;
    expect(resumed).toEqual(['b']);
    expect(mailbox.size).toBe(1);
    expect(mailbox.take()).toBe('b');
    await c;
    expect(mailbox.take()).toBe('c');
    expect(resumed).toEqual(['b', 'c']);
    expect(mailbox.highWaterMark).toBe(1);
  });

  it('wakes a waiting consumer', async () => {
    const mailbox = new BoundedMailbox<number>(2);
    const woken = mailbox.whenNonEmpty().then(() => mailbox.take());
    mailbox.trySend(7);
    expect(await woken).toBe(7);
  });

  it('rejects suspended and later senders when closed, keeps queued messages', async () => {
    const mailbox = new BoundedMailbox<number>(1);
    mailbox.trySend(1);
    const suspended = mailbox.send(2);
    mailbox.close();
    await expect(suspended).rejects.toBeInstanceOf(MailboxClosedError);
    expect(() => mailbox.trySend(3)).toThrow(MailboxClosedError);
    expect(mailbox.take()).toBe(1);
  });

  it('loses nothing and keeps per-producer order with many concurrent producers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        async (capacity, producerSizes, consumerBatch) => {
          const mailbox = new BoundedMailbox<[number, number]>(capacity);
          const producers = producerSizes.map(async (count, producer) => {
            for (let i = 0; i < count; i++) await mailbox.send([producer, i]);
          });
          const total = producerSizes.reduce((a, b) => a + b, 0);
          const received: [number, number][] = [];
          while (received.length < total) {
            await mailbox.whenNonEmpty();
            for (let i = 0; i < consumerBatch; i++) {
              const message = mailbox.take();
              if (message === undefined) break;
              received.push(message);
              expect(mailbox.size).toBeLessThanOrEqual(capacity);
            }
            await Promise.resolve();
          }
          await Promise.all(producers);
          expect(received).toHaveLength(total);
          expect(mailbox.highWaterMark).toBeLessThanOrEqual(capacity);
          producerSizes.forEach((count, producer) => {
            const mine = received.filter(([p]) => p === producer).map(([, i]) => i);
            expect(mine).toEqual(Array.from({ length: count }, (_, i) => i));
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
