import type { ActorSystem } from './ActorSystem.ts';
import type { VirtualClock } from './VirtualClock.ts';

/**
 * Runs a system on a virtual clock until nothing is left to do: every actor idle and no timer pending. Timers
 * fire in order as the clock jumps to them, so debounces and backoffs cost no real time. Used by `translate`,
 * replay and tests; bounded so a timer that reschedules itself forever, or messages that chase each other
 * forever, fail loudly instead of hanging. Turns spent only waiting for effects in flight (reading files, a parse
 * worker) are not counted, and wait on a real timer instead of spinning.
 */
export async function runUntilQuiescent(
  system: ActorSystem,
  clock: VirtualClock,
  maxSteps = 100_000,
): Promise<void> {
  for (let step = 0; step < maxSteps; step++) {
    await macrotask();
    if (!system.idle) {
      if (system.settled) {
        step--;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      continue;
    }
    // Idle across a second turn too: a wake-up scheduled in the last turn may still be on its way.
    await macrotask();
    if (!system.idle) continue;
    const due = clock.nextDue();
    if (due === undefined) return;
    await clock.advance(Math.max(0, due - clock.now()));
  }
  throw new Error(`the system did not come to rest within ${maxSteps} steps`);
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
