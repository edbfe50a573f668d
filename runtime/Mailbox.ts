// The contract every actor inbox honours. Overflow strategy: suspend the sender (backpressure); a
// mailbox never drops a message and never grows past its capacity.

export interface Mailbox<T> {
  /** Most messages the mailbox holds at once. */
  readonly capacity: number;
  /** Messages queued now. */
  readonly size: number;
  /** Largest `size` seen since creation. */
  readonly highWaterMark: number;
  /** Senders suspended in `send` because the mailbox was full. */
  readonly waitingSenders: number;
  readonly closed: boolean;
  /** Enqueues when there is room and returns true; returns false (and enqueues nothing) when full. */
  trySend(message: T): boolean;
  /** Enqueues, suspending the caller while the mailbox is full. Suspended senders resume in arrival order. */
  send(message: T): Promise<void>;
  /** Dequeues the oldest message, or undefined when empty. */
  take(): T | undefined;
  /** Resolves when a message is available (at once if one already is) or the mailbox is closed. */
  whenNonEmpty(): Promise<void>;
  /** Rejects further sends; queued messages can still be taken. */
  close(): void;
}

export class MailboxClosedError extends Error {
  constructor(owner: string) {
    super(`mailbox of ${owner} is closed`);
    this.name = 'MailboxClosedError';
  }
}

export const RESOLVED: Promise<void> = Promise.resolve();
