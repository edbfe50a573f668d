import type { Clock, Timer } from './clock.ts';

interface PendingTimer {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
  cancelled: boolean;
}

/**
 * Logical time that only moves when told to. Timers due at the same instant fire in the order they were
 * scheduled, so a run on a VirtualClock is deterministic.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private pending: PendingTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, fire: () => void): Timer {
    const timer: PendingTimer = {
      at: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      fire,
      cancelled: false,
    };
    this.pending.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.schedule(delayMs, resolve));
  }

  /** Number of timers still waiting to fire. */
  get pendingTimers(): number {
    return this.pending.filter((t) => !t.cancelled).length;
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextDue(): number | undefined {
    const next = this.nextTimer();
    return next?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order. Awaits the
   * microtask queue between timers so that work a timer starts can schedule further timers.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const next = this.nextTimer();
      if (next === undefined || next.at > target) break;
      this.pending = this.pending.filter((t) => t !== next);
      this.current = next.at;
      next.fire();
    }
    this.current = target;
    await settle();
  }

  /** Fires timers until none is left (bounded, so a timer that reschedules itself cannot hang a test). */
  async runAll(maxTimers = 10_000): Promise<void> {
    for (let fired = 0; fired < maxTimers; fired++) {
      await settle();
      const next = this.nextTimer();
      if (next === undefined) return;
      this.pending = this.pending.filter((t) => t !== next);
      this.current = Math.max(this.current, next.at);
      next.fire();
    }
    throw new Error(
      `VirtualClock.runAll: more than ${maxTimers} timers fired; a timer keeps rescheduling itself`,
    );
  }

  private nextTimer(): PendingTimer | undefined {
    this.pending = this.pending.filter((t) => !t.cancelled);
    let best: PendingTimer | undefined;
    for (const t of this.pending) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Lets already-queued promise continuations run (several turns, since they chain). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
