import type { ActorTrace } from './ActorTrace.ts';
import type { InputHook } from './InputHook.ts';
import type { MessageMeta } from './message.ts';
import type { EffectPorts, EffectReply } from './outbox.ts';

// Running one actor's effects: the port a machine's effect request names is called with the request (through
// the recorder or replayer when one is attached), and its outcome comes back to the actor as `effect.done` or
// `effect.failed` — for a one-way effect only a failure does. Counts the effects in flight, which the actor's
// idleness and draining read.

export interface EffectRunnerOptions {
  readonly actor: string;
  readonly ports: EffectPorts | undefined;
  /** Effects whose success is not sent back (ActorSpec.oneWayEffects). */
  readonly oneWay: readonly string[] | undefined;
  /** The recorder or replayer attached now, if any (it may be attached after the actor starts). */
  readonly inputs: () => InputHook | undefined;
  readonly trace: ActorTrace;
  /** A fresh meta for a reply caused by `cause`. */
  readonly meta: (cause: MessageMeta | undefined) => MessageMeta;
  /** Hands an outcome to the actor's loop. */
  readonly reply: (reply: EffectReply) => void;
  /** Wakes the actor's loop: a one-way effect ended. */
  readonly notify: () => void;
}

export class EffectRunner {
  /** Effects started and not yet settled. */
  outstanding = 0;
  private readonly options: EffectRunnerOptions;
  private readonly oneWay: ReadonlySet<string>;

  constructor(options: EffectRunnerOptions) {
    this.options = options;
    this.oneWay = new Set(options.oneWay);
  }

  /** Runs `effect`; while the actor is `stopping` it fails at once instead of starting new I/O. */
  run(effect: string, request: unknown, cause: MessageMeta | undefined, stopping: boolean): void {
    const { actor, trace } = this.options;
    const port = this.options.ports?.[effect] as ((request: unknown) => unknown) | undefined;
    trace.effect(effect, 'start', cause);
    this.outstanding++;
    const settle = (reply: EffectReply) => {
      this.outstanding--;
      this.options.reply(reply);
    };
    const failed = (error: unknown) => {
      const text = errorText(error);
      const meta = this.options.meta(cause);
      trace.effect(effect, 'failed', cause, text, meta);
      settle({ type: 'effect.failed', effect, request, error: text, meta });
    };
    if (port === undefined) {
      failed(new Error(`actor ${actor} has no port for effect "${effect}"`));
      return;
    }
    // Draining finishes queued messages; it does not start new I/O (a watch restarted while stopping would keep
    // the actor alive until the deadline).
    if (stopping) {
      failed(new Error(`actor ${actor} is stopping`));
      return;
    }
    let outcome: unknown;
    const inputs = this.options.inputs();
    try {
      outcome =
        inputs === undefined ? port(request) : inputs.effect(actor, effect, request, () => port(request));
    } catch (error) {
      failed(error);
      return;
    }
    if (this.oneWay.has(effect)) {
      // No reply on success: the effect is over once the port returned (or its promise resolved).
      const done = () => {
        this.outstanding--;
        trace.effect(effect, 'done', cause);
        this.options.notify();
      };
      if (isThenable(outcome)) outcome.then(done, failed);
      else done();
      return;
    }
    Promise.resolve(outcome).then((result) => {
      const meta = this.options.meta(cause);
      trace.effect(effect, 'done', cause, undefined, meta);
      settle({ type: 'effect.done', effect, request, result, meta });
    }, failed);
  }
}

/** An error's text as actors report it (a trace event, an `effect.failed`, `lastError`). */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
