import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoalescingMailbox } from './CoalescingMailbox.ts';

interface Update {
  readonly key: string;
  readonly version: number;
}

const byKey = (update: Update) => update.key;

describe('CoalescingMailbox', () => {
  it('keeps only the latest message per key, in order of first arrival', () => {
    const mailbox = new CoalescingMailbox<Update>(10, byKey);
    for (const [key, version] of [
      ['a', 1],
      ['b', 1],
      ['a', 2],
      ['c', 1],
      ['b', 2],
      ['a', 3],
    ] as const) {
      expect(mailbox.trySend({ key, version })).toBe(true);
    }
    expect(mailbox.size).toBe(3);
    expect(mailbox.coalesced).toBe(3);
    expect([mailbox.take(), mailbox.take(), mailbox.take(), mailbox.take()]).toEqual([
      { key: 'a', version: 3 },
      { key: 'b', version: 2 },
      { key: 'c', version: 1 },
      undefined,
    ]);
  });

  it('keeps that order over thousands of keys taken while others arrive, a taken key queueing again at the back', () => {
    const mailbox = new CoalescingMailbox<Update>(10_000, byKey);
    const expected: string[] = [];
    const taken: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      mailbox.trySend({ key: `k${i}`, version: 1 });
      expected.push(`k${i}`);
    }
    for (let round = 0; round < 3_000; round++) {
      taken.push(mailbox.take()!.key);
      // Every third round a key already taken comes back, and a queued one is updated in place.
      if (round % 3 === 0) {
        mailbox.trySend({ key: `k${round}`, version: 2 });
        expected.push(`k${round}`);
      }
      mailbox.trySend({ key: `k${4_999 - (round % 100)}`, version: 3 });
    }
    for (let message = mailbox.take(); message !== undefined; message = mailbox.take())
      taken.push(message.key);
    expect(taken).toEqual(expected);
    expect(mailbox.size).toBe(0);
  });

  it('is bounded by distinct keys: a new key waits, an update to a queued key does not', async () => {
    const mailbox = new CoalescingMailbox<Update>(2, byKey);
    await mailbox.send({ key: 'a', version: 1 });
    await mailbox.send({ key: 'b', version: 1 });
    expect(mailbox.trySend({ key: 'c', version: 1 })).toBe(false);
    expect(mailbox.trySend({ key: 'a', version: 2 })).toBe(true);
    let admitted = false;
    const waiting = mailbox.send({ key: 'c', version: 1 }).then(() => {
      admitted = true;
    });
    // A newer update for the waiting key supersedes it while it waits and returns at once.
    await mailbox.send({ key: 'c', version: 2 });
    expect(admitted).toBe(false);
    expect(mailbox.take()).toEqual({ key: 'a', version: 2 });
    await waiting;
    expect(admitted).toBe(true);
    expect(mailbox.take()).toEqual({ key: 'b', version: 1 });
    expect(mailbox.take()).toEqual({ key: 'c', version: 2 });
    expect(mailbox.highWaterMark).toBe(2);
  });

  it('delivers the final version of every key, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 60 }),
        async (capacity, keys) => {
          const mailbox = new CoalescingMailbox<Update>(capacity, byKey);
          const latest = new Map<string, number>();
          const sends = keys.map((key, version) => {
            latest.set(key, version);
            return mailbox.send({ key, version });
          });
          const seen = new Map<string, number>();
          let done = false;
          const all = Promise.all(sends).then(() => {
            done = true;
          });
          while (!done || mailbox.size > 0) {
            const update = mailbox.take();
            if (update !== undefined) {
              expect(update.version).toBeGreaterThanOrEqual(seen.get(update.key) ?? -1);
              seen.set(update.key, update.version);
            }
            expect(mailbox.size).toBeLessThanOrEqual(capacity);
            await Promise.resolve();
          }
          await all;
          expect(seen).toEqual(latest);
        },
      ),
      { numRuns: 150 },
    );
  });
});
