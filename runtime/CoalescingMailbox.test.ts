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

  describe('with batches (one message carrying many keys)', () => {
    type Item = Update | { readonly batch: string; readonly items: readonly Update[] };
    const keyOfItem = (item: Item) => ('batch' in item ? item.batch : item.key);
    const keysWithin = (item: Item) => ('batch' in item ? item.items.map((u) => u.key) : undefined);
    /** Every version of every key, in the order taken (a batch's items in their order). */
    const versionsTaken = (mailbox: CoalescingMailbox<Item>) => {
      const taken: string[] = [];
      for (let item = mailbox.take(); item !== undefined; item = mailbox.take()) {
        for (const update of 'batch' in item ? item.items : [item])
          taken.push(`${update.key}${update.version}`);
      }
      return taken;
    };

    it('does not let a later message overtake a batch for its key by replacing an older one ahead of it', () => {
      const mailbox = new CoalescingMailbox<Item>(10, keyOfItem, 'test', keysWithin);
      mailbox.trySend({ key: 'a', version: 1 });
      mailbox.trySend({ key: 'b', version: 1 });
      mailbox.trySend({ batch: 'x', items: [{ key: 'a', version: 2 }] });
      // Replacing a1 in place would deliver a3 before the batch's a2, and leave a at version 2.
      mailbox.trySend({ key: 'a', version: 3 });
      mailbox.trySend({ key: 'b', version: 2 });
      mailbox.trySend({ key: 'a', version: 4 });
      expect(versionsTaken(mailbox)).toEqual(['a1', 'b2', 'a2', 'a4']);
    });

    it('keeps that order while senders wait for room, the older message and the batch both waiting', async () => {
      const mailbox = new CoalescingMailbox<Item>(1, keyOfItem, 'test', keysWithin);
      await mailbox.send({ key: 'c', version: 1 });
      const sends = [
        mailbox.send({ key: 'a', version: 1 }),
        mailbox.send({ batch: 'x', items: [{ key: 'a', version: 2 }] }),
      ];
      const taken = [mailbox.take()];
      // a1 is queued now, the batch still waits: a3 must queue behind the batch, not replace a1.
      sends.push(mailbox.send({ key: 'a', version: 3 }));
      for (let i = 0; i < 3; i++) taken.push(mailbox.take());
      await Promise.all(sends);
      expect(taken).toEqual([
        { key: 'c', version: 1 },
        { key: 'a', version: 1 },
        { batch: 'x', items: [{ key: 'a', version: 2 }] },
        { key: 'a', version: 3 },
      ]);
    });

    it('delivers the final version of every key last, whatever the interleaving of batches and single messages', async () => {
      const send = fc.oneof(
        fc.constantFrom('a', 'b', 'c', 'd'),
        fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 3 }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 3 }),
          fc.array(send, { minLength: 1, maxLength: 40 }),
          fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
          async (capacity, sent, takes) => {
            const mailbox = new CoalescingMailbox<Item>(capacity, keyOfItem, 'test', keysWithin);
            const latest = new Map<string, number>();
            const seen = new Map<string, number>();
            const takeOne = () => {
              const item = mailbox.take();
              if (item === undefined) return;
              for (const update of 'batch' in item ? item.items : [item]) {
                expect(update.version).toBeGreaterThan(seen.get(update.key) ?? -1);
                seen.set(update.key, update.version);
              }
            };
            const sends = sent.map((keys, version) => {
              // Take in between some sends, so some senders wait and some batches find their keys queued.
              if (takes[version] === true) takeOne();
              const items = (typeof keys === 'string' ? [keys] : keys).map((key) => ({ key, version }));
              for (const { key } of items) latest.set(key, version);
              return mailbox.send(typeof keys === 'string' ? items[0]! : { batch: `x${version}`, items });
            });
            let done = false;
            const all = Promise.all(sends).then(() => {
              done = true;
            });
            while (!done || mailbox.size > 0) {
              takeOne();
              expect(mailbox.size).toBeLessThanOrEqual(capacity);
              await Promise.resolve();
            }
            await all;
            expect(seen).toEqual(latest);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
