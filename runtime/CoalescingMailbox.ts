import { ArrayQueue } from './ArrayQueue.ts';
import { type Mailbox, MailboxClosedError, RESOLVED } from './Mailbox.ts';

interface WaitingSender<T> {
  key: string;
  message: T;
  /** A batch for its key waits behind it: once queued it is not replaced in place either. */
  sealed: boolean;
  readonly resolvers: (() => void)[];
  readonly rejecters: ((error: Error) => void)[];
}

/** A queued message and the key it was queued under. */
interface Slot<T> {
  readonly key: string;
  message: T;
}

/**
 * A controller's inbox, like client-go's workqueue: at most one queued message per resource key, the latest
 * replacing an older one in place (order of first arrival is kept). Its size is bounded by the number of
 * distinct keys; a sender with a new key waits while `capacity` keys are queued.
 *
 * A message may also carry newer data for many keys at once (a batch, queued under a key of its own):
 * `keysWithin` names them. A message for one of those keys queued before the batch is then no longer replaced in
 * place — a later message for that key would overtake the batch and be overwritten by the batch's older data —
 * it is delivered as it is, ahead of the batch, and the later one queues behind the batch.
 */
export class CoalescingMailbox<T> implements Mailbox<T> {
  readonly capacity: number;
  private readonly keyOf: (message: T) => string;
  private readonly keysWithin: ((message: T) => readonly string[] | undefined) | undefined;
  /** The queued message a newer one for its key replaces (none once a batch for the key queued behind it). */
  private readonly queued = new Map<string, Slot<T>>();
  /**
   * The queued messages in order of first arrival. Taking the first entry of the Map instead would scan the holes
   * its deletions leave at the front, once per take: quadratic over a burst of thousands.
   */
  private readonly order = new ArrayQueue<Slot<T>>();
  private readonly waiting = new ArrayQueue<WaitingSender<T>>();
  private readonly waitingByKey = new Map<string, WaitingSender<T>>();
  private high = 0;
  private replaced = 0;
  private consumer: (() => void) | undefined;
  private isClosed = false;
  private readonly owner: string;

  constructor(
    capacity: number,
    keyOf: (message: T) => string,
    owner = 'mailbox',
    keysWithin?: (message: T) => readonly string[] | undefined,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`mailbox capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.keyOf = keyOf;
    this.owner = owner;
    this.keysWithin = keysWithin;
  }

  get size(): number {
    return this.order.size;
  }

  get highWaterMark(): number {
    return this.high;
  }

  get waitingSenders(): number {
    return this.waiting.size;
  }

  /** Messages superseded by a later one for the same key (work saved, not work lost). */
  get coalesced(): number {
    return this.replaced;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  trySend(message: T): boolean {
    if (this.isClosed) throw new MailboxClosedError(this.owner);
    const key = this.keyOf(message);
    const slot = this.queued.get(key);
    if (slot !== undefined) {
      slot.message = message;
      this.replaced++;
      return true;
    }
    const waiter = this.waitingByKey.get(key);
    if (waiter !== undefined) {
      // The older message for this key is still waiting for room: the newer one supersedes it there.
      waiter.message = message;
      this.replaced++;
      return true;
    }
    if (this.order.size >= this.capacity || this.waiting.size > 0) return false;
    this.enqueue(key, message);
    return true;
  }

  send(message: T): Promise<void> {
    if (this.trySend(message)) return RESOLVED;
    const key = this.keyOf(message);
    return new Promise((resolve, reject) => {
      const waiter = this.waitingByKey.get(key);
      if (waiter !== undefined) {
        waiter.message = message;
        waiter.resolvers.push(resolve);
        waiter.rejecters.push(reject);
        return;
      }
      const sender: WaitingSender<T> = {
        key,
        message,
        sealed: false,
        resolvers: [resolve],
        rejecters: [reject],
      };
      this.waiting.push(sender);
      this.waitingByKey.set(key, sender);
      // Waiting behind the messages for its keys already waiting or queued: none of them is replaced any more.
      this.seal(message);
    });
  }

  take(): T | undefined {
    const slot = this.order.shift();
    if (slot === undefined) return undefined;
    if (this.queued.get(slot.key) === slot) this.queued.delete(slot.key);
    this.admitWaiting();
    return slot.message;
  }

  whenNonEmpty(): Promise<void> {
    if (this.order.size > 0 || this.isClosed) return RESOLVED;
    return new Promise((resolve) => {
      this.consumer = resolve;
    });
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const sender of this.waiting.drain()) {
      for (const reject of sender.rejecters) reject(new MailboxClosedError(this.owner));
    }
    this.waitingByKey.clear();
    this.wakeConsumer();
  }

  private enqueue(key: string, message: T, replaceable = true): void {
    this.seal(message);
    const slot: Slot<T> = { key, message };
    if (replaceable) this.queued.set(key, slot);
    this.order.push(slot);
    if (this.order.size > this.high) this.high = this.order.size;
    this.wakeConsumer();
  }

  /**
   * A batch comes after whatever is queued or waiting for its keys: those messages stay where they are and are
   * delivered as they are, but no later message may replace them in place, ahead of the batch.
   */
  private seal(message: T): void {
    const keys = this.keysWithin?.(message);
    if (keys === undefined) return;
    for (const key of keys) {
      this.queued.delete(key);
      const waiter = this.waitingByKey.get(key);
      if (waiter === undefined) continue;
      waiter.sealed = true;
      this.waitingByKey.delete(key);
    }
  }

  private admitWaiting(): void {
    while (this.waiting.size > 0 && this.order.size < this.capacity) {
      const sender = this.waiting.shift()!;
      if (this.waitingByKey.get(sender.key) === sender) this.waitingByKey.delete(sender.key);
      const slot = sender.sealed ? undefined : this.queued.get(sender.key);
      if (slot !== undefined) {
        slot.message = sender.message;
        this.replaced++;
      } else {
        this.enqueue(sender.key, sender.message, !sender.sealed);
      }
      for (const resolve of sender.resolvers) resolve();
    }
  }

  private wakeConsumer(): void {
    const consumer = this.consumer;
    if (consumer !== undefined) {
      this.consumer = undefined;
      consumer();
    }
  }
}
