import type { Clock, Timer } from './clock.ts';

/** Wall-clock time for production. The only place in the runtime that reads the real clock for logic. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  schedule(delayMs: number, fire: () => void): Timer {
    const handle = setTimeout(fire, Math.max(0, delayMs));
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = setTimeout(resolve, Math.max(0, delayMs));
      handle.unref?.();
    });
  }
}
