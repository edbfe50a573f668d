import type { Observable } from 'rxjs';
// The Subject module alone: the package root loads all of rxjs (200+ CommonJS files, ~11 MiB RSS) for one class.
import { Subject } from 'rxjs/internal/Subject';
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

/**
 * A hot stream of trace events. Emitting sites check `active` first, so with nobody subscribed the cost is one
 * property read and no allocation.
 */
export class TraceBus {
  private readonly subject = new Subject<TraceEvent>();

  get active(): boolean {
    return this.subject.observed;
  }

  emit(event: TraceEvent): void {
    this.subject.next(event);
  }

  get events(): Observable<TraceEvent> {
    return this.subject.asObservable();
  }

  complete(): void {
    this.subject.complete();
  }
}
