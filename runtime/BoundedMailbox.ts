import { ArrayQueue } from './ArrayQueue.ts';
import { type Mailbox, MailboxClosedError, RESOLVED } from './Mailbox.ts';

interface WaitingSender<T> {
  readonly message: T;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** FIFO mailbox on a preallocated ring buffer. Suspended senders are admitted in the order they arrived. */
export class BoundedMailbox<T> implements Mailbox<T> {
  readonly capacity: number;
  private readonly ring: (T | undefined)[];
  private head = 0;
  private count = 0;
  private high = 0;
  private readonly waiting = new ArrayQueue<WaitingSender<T>>();
  private consumer: (() => void) | undefined;
  private isClosed = false;
  private readonly owner: string;

  constructor(capacity: number, owner = 'mailbox') {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`mailbox capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.ring = new Array<T | undefined>(capacity);
    this.owner = owner;
  }

  get size(): number {
    return this.count;
  }

  get highWaterMark(): number {
    return this.high;
  }

  get waitingSenders(): number {
    return this.waiting.size;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  trySend(message: T): boolean {
    if (this.isClosed) throw new MailboxClosedError(this.owner);
    // Senders already waiting go first: a later trySend must not overtake them.
    if (this.count === this.capacity || this.waiting.size > 0) return false;
    this.push(message);
    return true;
  }

  send(message: T): Promise<void> {
    if (this.trySend(message)) return RESOLVED;
    return new Promise((resolve, reject) => {
      this.waiting.push({ message, resolve, reject });
    });
  }

  take(): T | undefined {
    if (this.count === 0) return undefined;
    const message = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.count--;
    if (this.waiting.size > 0) this.admitWaiting();
    return message;
  }

  whenNonEmpty(): Promise<void> {
    if (this.count > 0 || this.isClosed) return RESOLVED;
    return new Promise((resolve) => {
      this.consumer = resolve;
    });
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const sender of this.waiting.drain()) sender.reject(new MailboxClosedError(this.owner));
    this.wakeConsumer();
  }

  private push(message: T): void {
    let tail = this.head + this.count;
    if (tail >= this.capacity) tail -= this.capacity;
    this.ring[tail] = message;
    this.count++;
    if (this.count > this.high) this.high = this.count;
    this.wakeConsumer();
  }

  private admitWaiting(): void {
    const sender = this.waiting.shift()!;
    this.push(sender.message);
    sender.resolve();
  }

  private wakeConsumer(): void {
    const consumer = this.consumer;
    if (consumer !== undefined) {
      this.consumer = undefined;
      consumer();
    }
  }
}
