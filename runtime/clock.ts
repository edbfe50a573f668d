// Time is injected: actor logic reads `clock.now()` and schedules through the clock, never Date.now() or
// setTimeout directly, so tests and replay can run on a VirtualClock.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds of logical time. */
  now(): number;
  /** Calls `fire` once after `delayMs` of this clock's time. */
  schedule(delayMs: number, fire: () => void): Timer;
  /** Resolves after `delayMs` of this clock's time. */
  sleep(delayMs: number): Promise<void>;
}
