// A fixed pool of identical actors in one ActorSystem, each serving one unit of work at a time (a stream, a
// session) from its start to its end. A unit takes a free actor, or none is free and the caller refuses it at
// once: load beyond the pool is refused, never queued. The actor is given back with `release` once its machine
// is ready for the next unit.

import type { Logger } from 'pino';
import type { AnyStateMachine } from 'xstate';
import type { ActorStats } from './ActorSpec.ts';
import { ActorSystem } from './ActorSystem.ts';
import type { Clock } from './clock.ts';
import type { IdGenerator } from './ids.ts';
import type { Draft, Message } from './message.ts';
import type { EffectPorts } from './outbox.ts';
import type { TraceBus } from './TraceBus.ts';

export interface ActorPoolOptions {
  /** How many units are served at once. */
  readonly size: number;
  /** Actors are named `<prefix>-<i>`. */
  readonly namePrefix: string;
  readonly machine: AnyStateMachine;
  /** Each actor's mailbox; beyond it, senders wait. */
  readonly mailboxCapacity: number;
  readonly effects: EffectPorts;
  readonly oneWayEffects?: readonly string[];
  readonly logger?: Logger | undefined;
  readonly clock?: Clock | undefined;
  readonly ids?: IdGenerator | undefined;
  readonly trace?: TraceBus | undefined;
}

export interface ActorPoolStats {
  readonly size: number;
  readonly busy: number;
  readonly acquired: number;
  readonly refused: number;
}

export class ActorPool<TMessage extends Message> {
  readonly system: ActorSystem;
  readonly #free: string[] = [];
  /** Which actor serves which unit. */
  readonly #actors = new Map<string, string>();
  readonly #size: number;
  #acquired = 0;
  #refused = 0;

  constructor(options: ActorPoolOptions) {
    if (options.size < 1) throw new Error(`the ${options.namePrefix} pool needs at least one actor`);
    this.#size = options.size;
    this.system = new ActorSystem({
      clock: options.clock,
      ids: options.ids,
      trace: options.trace,
      logger: options.logger,
    });
    // Started before spawning: each spawn then starts just its own actor. Starting a system of many registered
    // actors recurses once per actor through readiness callbacks and overflows the stack.
    this.system.start();
    for (let i = this.#size - 1; i >= 0; i--) {
      const name = `${options.namePrefix}-${i}`;
      this.system.spawn<TMessage>({
        name,
        machine: options.machine,
        mailbox: { capacity: options.mailboxCapacity },
        effects: options.effects,
        ...(options.oneWayEffects === undefined ? {} : { oneWayEffects: options.oneWayEffects }),
      });
      this.#free.push(name);
    }
  }

  /** A free actor for `unit`, or undefined when every actor is busy (the caller refuses the unit). */
  acquire(unit: string): string | undefined {
    const actor = this.#free.pop();
    if (actor === undefined) {
      this.#refused++;
      return undefined;
    }
    this.#acquired++;
    this.#actors.set(unit, actor);
    return actor;
  }

  /** Gives the unit's actor back; call it once the actor's machine is ready for the next unit. */
  release(unit: string): void {
    const actor = this.#actors.get(unit);
    if (actor === undefined) return;
    this.#actors.delete(unit);
    this.#free.push(actor);
  }

  actorOf(unit: string): string | undefined {
    return this.#actors.get(unit);
  }

  /** Hands a message to the unit's actor, waiting while its mailbox is full. */
  send(unit: string, message: Draft<TMessage>): Promise<void> {
    const actor = this.#actors.get(unit);
    if (actor === undefined) return Promise.reject(new Error(`no actor serves ${unit}`));
    return this.system.send<TMessage>(actor, message);
  }

  stats(): ActorPoolStats {
    return {
      size: this.#size,
      busy: this.#size - this.#free.length,
      acquired: this.#acquired,
      refused: this.#refused,
    };
  }

  /** The actors' own numbers (state, mailbox), for the inspector and metrics. */
  actorStats(): ActorStats[] {
    return this.system.stats();
  }

  async stop(deadlineMs = 5_000): Promise<void> {
    await this.system.stop(deadlineMs);
  }
}
