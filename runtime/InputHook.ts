import type { Timer } from './clock.ts';
import type { Message } from './message.ts';

/**
 * Where outside input enters a system: effect outcomes, messages sent from outside the actors, and actor
 * timers. The recorder implements this to write them down; the replayer to answer them from a log. With no hook
 * attached the runtime calls ports and the clock directly — the message path itself never passes through here.
 */
export interface InputHook {
  /**
   * An actor runs effect `effect`; `run` calls its port. Returns the outcome the actor should see (a value or a
   * promise); a throw or rejection becomes `effect.failed`.
   */
  effect(actor: string, effect: string, request: unknown, run: () => unknown): unknown;
  /** A message was sent into the system from outside any actor (`ActorSystem.send` / `trySend`). */
  outside(to: string, message: Message): void;
  /** An actor schedules a timer (delayed transitions, restart backoff); `fire` must run when it is due. */
  timer(actor: string, delayMs: number, fire: () => void): Timer;
}
