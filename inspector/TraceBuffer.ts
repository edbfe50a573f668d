import type { TraceBus, TraceEvent, TraceSubscription } from '../runtime/TraceBus.ts';

/** A trace event as the inspector serves it: numbered, so a client can resume a stream where it left off. */
export type NumberedTraceEvent = TraceEvent & { readonly seq: number };

/** Called with each event and its sequence number (the event itself is not copied on the hot path). */
export type TraceListener = (event: TraceEvent, seq: number) => void;

/**
 * The last `capacity` trace events of one system, in a ring: the inspector's memory is bounded however long the
 * controller runs. Listeners (the SSE streams) get each event as it happens.
 */
export class TraceBuffer {
  readonly capacity: number;
  private readonly ring: (TraceEvent | undefined)[];
  private readonly seqs: number[];
  private next = 0;
  private count = 0;
  private seq = 0;
  private readonly listeners = new Set<TraceListener>();
  private subscription: TraceSubscription | undefined;

  constructor(capacity = 10_000) {
    if (!(capacity > 0)) throw new Error('the trace buffer needs a positive capacity');
    this.capacity = capacity;
    this.ring = new Array(capacity);
    this.seqs = new Array(capacity).fill(0);
  }

  /** Follows `bus` (and stops following the previous one); the buffer is cleared when `reset`. */
  follow(bus: TraceBus, reset = false): void {
    this.subscription?.unsubscribe();
    if (reset) this.clear();
    this.subscription = bus.events.subscribe((event) => this.push(event));
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.listeners.clear();
  }

  /** Events still held, oldest first, with `seq` greater than `after`. */
  since(after = 0): NumberedTraceEvent[] {
    const out: NumberedTraceEvent[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const index = (start + i) % this.capacity;
      const seq = this.seqs[index]!;
      if (seq > after) out.push({ ...this.ring[index]!, seq } as NumberedTraceEvent);
    }
    return out;
  }

  /** Sequence number of the newest event (0 when none). */
  get last(): number {
    return this.seq;
  }

  get size(): number {
    return this.count;
  }

  listen(listener: TraceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
    this.count = 0;
  }

  private push(event: TraceEvent): void {
    const seq = ++this.seq;
    this.ring[this.next] = event;
    this.seqs[this.next] = seq;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    for (const listener of this.listeners) listener(event, seq);
  }
}
