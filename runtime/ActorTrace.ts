import type { Clock } from './clock.ts';
import type { Message, MessageMeta } from './message.ts';
import type { TraceBus } from './TraceBus.ts';

// What one actor tells the trace bus: its lifecycle, its mailbox's traffic, its transitions, what it sends, the
// effects it runs, its restarts and errors. Every method emits only while the bus is observed; a caller whose
// arguments cost something to build checks `active` first.

export type LifecycleStatus = 'started' | 'ready' | 'not-ready' | 'stopped';

export class ActorTrace {
  private readonly actor: string;
  private readonly bus: TraceBus;
  private readonly clock: Clock;

  constructor(actor: string, bus: TraceBus, clock: Clock) {
    this.actor = actor;
    this.bus = bus;
    this.clock = clock;
  }

  /** Somebody reads the bus: the only time events are worth building. */
  get active(): boolean {
    return this.bus.active;
  }

  lifecycle(status: LifecycleStatus): void {
    if (!this.bus.active) return;
    this.bus.emit({ kind: 'lifecycle', time: this.clock.now(), actor: this.actor, status });
  }

  /** A message entered the mailbox; `depth` is the mailbox's size after it. */
  enqueue(message: Message, depth: number): void {
    if (!this.bus.active) return;
    const { type: messageType, meta } = message;
    this.bus.emit({ kind: 'enqueue', time: this.clock.now(), actor: this.actor, messageType, meta, depth });
  }

  /** The loop took a message from the mailbox; `depth` is what is left. */
  dequeue(message: Message, depth: number): void {
    if (!this.bus.active) return;
    const { type: messageType, meta } = message;
    this.bus.emit({ kind: 'dequeue', time: this.clock.now(), actor: this.actor, messageType, meta, depth });
  }

  /** The machine moved; `messageType` is what moved it (`timer` for a delayed transition). */
  transition(from: string, to: string, messageType: string, meta: MessageMeta | undefined): void {
    if (!this.bus.active) return;
    this.bus.emit({
      kind: 'transition',
      time: this.clock.now(),
      actor: this.actor,
      from,
      to,
      messageType,
      meta,
    });
  }

  /** A message stamped and on its way to `to`, at the message's own (logical) time. */
  send(to: string, message: Message, subject: string | undefined): void {
    if (!this.bus.active) return;
    this.bus.emit({
      kind: 'send',
      time: message.meta.time,
      actor: this.actor,
      to,
      messageType: message.type,
      meta: message.meta,
      ...(subject === undefined ? {} : { subject }),
    });
  }

  effect(
    effect: string,
    phase: 'start' | 'done' | 'failed',
    cause: MessageMeta | undefined,
    detail?: string,
    reply?: MessageMeta,
  ): void {
    if (!this.bus.active) return;
    this.bus.emit({
      kind: 'effect',
      time: this.clock.now(),
      actor: this.actor,
      effect,
      phase,
      meta: cause,
      ...(detail === undefined ? {} : { detail }),
      ...(reply === undefined ? {} : { reply }),
    });
  }

  restart(attempt: number, delayMs: number): void {
    if (!this.bus.active) return;
    this.bus.emit({ kind: 'restart', time: this.clock.now(), actor: this.actor, attempt, delayMs });
  }

  error(error: string, cause: MessageMeta | undefined): void {
    if (!this.bus.active) return;
    this.bus.emit({ kind: 'error', time: this.clock.now(), actor: this.actor, error, meta: cause });
  }
}
