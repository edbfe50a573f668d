import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { collectWhenQuiet, memoryReducingCollection } from './quiet-collection.ts';
import { VirtualClock } from './VirtualClock.ts';

/** A plane's activity and RSS as the collector reads them, and the collections it runs. */
function plane() {
  const clock = new VirtualClock(0);
  const state = { handled: 0, rss: 100, collections: [] as number[] };
  const collector = collectWhenQuiet({
    clock,
    quietMs: 5_000,
    handled: () => state.handled,
    rss: () => state.rss,
    collect: () => {
      state.collections.push(clock.now());
      state.rss = 60;
    },
  });
  return { clock, state, collector };
}

describe('collectWhenQuiet', () => {
  it('collects once when the plane turns quiet after a burst, not while it is busy', async () => {
    const { clock, state, collector } = plane();
    for (let t = 0; t < 20; t++) {
      state.handled += 100;
      await clock.advance(1_000);
    }
    expect(state.collections).toEqual([]);
    await clock.advance(10_000);
    expect(state.collections).toHaveLength(1);
    expect(state.collections[0]).toBeGreaterThanOrEqual(20_000);
    await clock.advance(60_000);
    expect(collector.collections).toBe(1);
    collector.stop();
  });

  it('collects again after the next burst only if RSS grew over what the last collection left', async () => {
    const { clock, state, collector } = plane();
    state.handled++;
    await clock.advance(15_000);
    expect(state.collections).toHaveLength(1);
    // A trickle that leaves RSS where it was: no collection.
    state.handled++;
    state.rss = 62;
    await clock.advance(15_000);
    expect(state.collections).toHaveLength(1);
    // A burst that grew RSS: collected once quiet.
    state.handled += 1_000;
    state.rss = 90;
    await clock.advance(15_000);
    expect(state.collections).toHaveLength(2);
    collector.stop();
  });

  it('runs nothing once stopped', async () => {
    const { clock, state, collector } = plane();
    state.handled++;
    collector.stop();
    await clock.advance(60_000);
    expect(state.collections).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('memoryReducingCollection', () => {
  it('collects without --expose-gc, and gives no other context a gc', async () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const kept = new WeakRef({ garbage: true });
    // A WeakRef's target is held until the job that made it ends.
    await new Promise((resolve) => setImmediate(resolve));
    memoryReducingCollection()();
    expect(kept.deref()).toBeUndefined();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
