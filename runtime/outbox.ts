import { ArrayQueue } from './ArrayQueue.ts';
import type { Message, MessageMeta } from './message.ts';

// What a machine hands to its run loop. Machines stay pure: they emit these as data through XState's
// `emit`, and the loop delivers messages (awaiting backpressure) or runs effects through injected ports.

/** Deliver `message` to the actor named `to`; the loop stamps its meta (id, cause, time). */
export interface DeliverRequest {
  readonly type: 'deliver';
  readonly to: string;
  readonly message: { readonly type: string };
}

/** Run the port `effect` with `request`; its outcome comes back as `effect.done` or `effect.failed`. */
export interface EffectRequest {
  readonly type: 'effect';
  readonly effect: string;
  readonly request: unknown;
}

/**
 * Many deliveries and effects at once, handled in order as if emitted one by one. For machines that emit in
 * bulk (a source applying a file of 100,000 objects): XState runs each emitted event as a deferred effect taken
 * from the front of an array, which costs time quadratic in the number emitted by one transition.
 */
export interface OutgoingBatch {
  readonly type: 'batch';
  readonly items: readonly (DeliverRequest | EffectRequest)[];
}

export type Outgoing = DeliverRequest | EffectRequest | OutgoingBatch;

/** The reply a machine receives when an effect it requested completed. */
export interface EffectDone<TResult = unknown> extends Message<'effect.done'> {
  readonly effect: string;
  readonly request: unknown;
  readonly result: TResult;
}

/** The reply a machine receives when an effect it requested threw or rejected. */
export interface EffectFailed extends Message<'effect.failed'> {
  readonly effect: string;
  readonly request: unknown;
  readonly error: string;
}

export type EffectReply = EffectDone | EffectFailed;

/** Ports an actor's effects run through; injected so tests and replay can swap them. */
export type EffectPorts = Readonly<Record<string, (request: never) => unknown>>;

/** Builds a deliver request; use inside XState's `emit(({ event }) => deliverTo(...))`. */
export function deliverTo<TDraft extends { readonly type: string }>(
  to: string,
  message: TDraft,
): DeliverRequest {
  return { type: 'deliver', to, message };
}

/** Builds one intent of many; use when a transition may emit thousands. */
export function batch(items: readonly (DeliverRequest | EffectRequest)[]): OutgoingBatch {
  return { type: 'batch', items };
}

/** Builds an effect request; use inside XState's `emit(({ event }) => effectRequest(...))`. */
export function effectRequest(effect: string, request: unknown): EffectRequest {
  return { type: 'effect', effect, request };
}

/**
 * What a machine emitted and its run loop has not handled yet, in order; a batch is taken apart as it is handled.
 * Keeps the message whose handling emitted last: the cause what is delivered carries.
 */
export class OutboxQueue {
  private queue = new ArrayQueue<Outgoing>();
  private batch: { readonly items: readonly (DeliverRequest | EffectRequest)[]; next: number } | undefined;
  /** The message being handled when the machine last emitted (undefined for a timer or the start). */
  cause: MessageMeta | undefined;

  push(outgoing: Outgoing, cause: MessageMeta | undefined): void {
    this.queue.push(outgoing);
    this.cause = cause;
  }

  get pending(): boolean {
    return this.queue.size > 0 || this.batch !== undefined;
  }

  /** The next delivery or effect, batches flattened; undefined when all is handled. */
  next(): DeliverRequest | EffectRequest | undefined {
    for (;;) {
      if (this.batch !== undefined) {
        const item = this.batch.items[this.batch.next++];
        if (item !== undefined) return item;
        this.batch = undefined;
      }
      const outgoing = this.queue.shift();
      if (outgoing === undefined || outgoing.type !== 'batch') return outgoing;
      this.batch = { items: outgoing.items, next: 0 };
    }
  }

  /** Drops what is queued (the machine crashed: what it emitted before dies with it). */
  clear(): void {
    this.queue = new ArrayQueue();
    this.batch = undefined;
  }
}
