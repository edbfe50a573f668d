import { ArrayQueue } from './ArrayQueue.ts';
import { type Mailbox, MailboxClosedError, RESOLVED } from './Mailbox.ts';

interface WaitingSender<T> {
  key: string;
  message: T;
  readonly resolvers: (() => void)[];
  readonly rejecters: ((error: Error) => void)[];
}

/**
 * A controller's inbox, like client-go's workqueue: at most one queued message per resource key, the latest
 * replacing an older one in place (order of first arrival is kept). Its size is bounded by the number of
 * distinct keys; a sender with a new key waits while `capacity` keys are queued.
 */
export class CoalescingMailbox<T> implements Mailbox<T> {
  readonly capacity: number;
  private readonly keyOf: (message: T) => string;
  private readonly queued = new Map<string, T>();
  /**
   * The queued keys in order of first arrival. Taking the first entry of the Map instead would scan the holes
   * its deletions leave at the front, once per take: quadratic over a burst of thousands.
   */
  private readonly order = new ArrayQueue<string>();
  private readonly waiting = new ArrayQueue<WaitingSender<T>>();
  private readonly waitingByKey = new Map<string, WaitingSender<T>>();
  private high = 0;
  private replaced = 0;
  private consumer: (() => void) | undefined;
  private isClosed = false;
  private readonly owner: string;

  constructor(capacity: number, keyOf: (message: T) => string, owner = 'mailbox') {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`mailbox capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.keyOf = keyOf;
    this.owner = owner;
  }

  get size(): number {
    return this.queued.size;
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
    if (this.queued.has(key)) {
      this.queued.set(key, message);
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
    if (this.queued.size === this.capacity || this.waiting.size > 0) return false;
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
      const sender: WaitingSender<T> = { key, message, resolvers: [resolve], rejecters: [reject] };
      this.waiting.push(sender);
      this.waitingByKey.set(key, sender);
    });
  }

  take(): T | undefined {
    const key = this.order.shift();
    if (key === undefined) return undefined;
    const message = this.queued.get(key) as T;
    this.queued.delete(key);
    this.admitWaiting();
    return message;
  }

  whenNonEmpty(): Promise<void> {
    if (this.queued.size > 0 || this.isClosed) return RESOLVED;
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

  private enqueue(key: string, message: T): void {
    this.queued.set(key, message);
    this.order.push(key);
    if (this.queued.size > this.high) this.high = this.queued.size;
    this.wakeConsumer();
  }

  private admitWaiting(): void {
    while (this.waiting.size > 0 && this.queued.size < this.capacity) {
      const sender = this.waiting.shift()!;
      this.waitingByKey.delete(sender.key);
      if (this.queued.has(sender.key)) {
        this.queued.set(sender.key, sender.message);
        this.replaced++;
      } else {
        this.enqueue(sender.key, sender.message);
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
