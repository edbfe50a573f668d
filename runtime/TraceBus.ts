import type { MessageMeta } from './message.ts';

// One bus for every inspection event; the inspector, metrics and recorder all read it (DESIGN.md §2).

interface TraceBase {
  /** Logical time of the event (the system clock). */
  readonly time: number;
  /** The actor the event happened in. */
  readonly actor: string;
}

export type TraceEvent =
  | (TraceBase & {
      readonly kind: 'send';
      readonly to: string;
      readonly messageType: string;
      readonly meta: MessageMeta;
      /** What the message is about (e.g. a resource), when the system has a `traceSubject` describer. */
      readonly subject?: string;
    })
  | (TraceBase & {
      readonly kind: 'enqueue';
      readonly messageType: string;
      readonly meta: MessageMeta;
      readonly depth: number;
    })
  | (TraceBase & {
      readonly kind: 'dequeue';
      readonly messageType: string;
      readonly meta: MessageMeta;
      readonly depth: number;
    })
  | (TraceBase & {
      readonly kind: 'transition';
      readonly from: string;
      readonly to: string;
      readonly messageType: string;
      readonly meta: MessageMeta | undefined;
    })
  | (TraceBase & {
      readonly kind: 'effect';
      readonly effect: string;
      readonly phase: 'start' | 'done' | 'failed';
      readonly meta: MessageMeta | undefined;
      readonly detail?: string;
      /** On done/failed: the meta of the reply the actor receives, so a flow can follow what the outcome caused. */
      readonly reply?: MessageMeta;
    })
  | (TraceBase & { readonly kind: 'error'; readonly error: string; readonly meta: MessageMeta | undefined })
  | (TraceBase & { readonly kind: 'restart'; readonly attempt: number; readonly delayMs: number })
  | (TraceBase & {
      readonly kind: 'lifecycle';
      readonly status: 'started' | 'ready' | 'not-ready' | 'stopped';
    });

export type TraceKind = TraceEvent['kind'];

/** A subscription to the trace: `unsubscribe` ends it (again: nothing). */
export interface TraceSubscription {
  unsubscribe(): void;
}

/** The trace as its readers see it: each subscriber is called with every event emitted while it is subscribed. */
export interface TraceEvents {
  subscribe(next: (event: TraceEvent) => void): TraceSubscription;
}

/**
 * A hot stream of trace events. Emitting sites check `active` first, so with nobody subscribed the cost is one
 * property read and no allocation. Its own few lines rather than an rxjs Subject: every command loads the runtime,
 * and rxjs's Subject alone was 18 modules of each start (bench/translate.startup).
 */
export class TraceBus {
  /** Replaced, never changed in place: an emit in progress keeps the list it started with. */
  private subscribers: readonly ((event: TraceEvent) => void)[] = [];
  private completed = false;

  get active(): boolean {
    return this.subscribers.length > 0;
  }

  emit(event: TraceEvent): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber(event);
      } catch (error) {
        // A reader's failure is not the emitting actor's: it surfaces on its own, as rxjs reports it.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  readonly events: TraceEvents = { subscribe: (next) => this.subscribe(next) };

  /** Ends the stream: subscribers are dropped, and a later subscription gets nothing. */
  complete(): void {
    this.completed = true;
    this.subscribers = [];
  }

  private subscribe(next: (event: TraceEvent) => void): TraceSubscription {
    if (this.completed) return { unsubscribe: () => {} };
    // A subscriber of its own, so the same function subscribed twice is two subscriptions.
    const subscriber = (event: TraceEvent) => next(event);
    this.subscribers = [...this.subscribers, subscriber];
    return {
      unsubscribe: () => {
        this.subscribers = this.subscribers.filter((other) => other !== subscriber);
      },
    };
  }
}
