import type { NumberedTraceEvent } from './TraceBuffer.ts';

/** One arrow of the sequence diagram: a message between actors, or an effect an actor ran. */
export interface FlowStep {
  /** Trace sequence number (order of the diagram). */
  readonly seq: number;
  readonly time: number;
  /** Message id; effects carry the id of the message that caused them, prefixed `effect:`. */
  readonly id: string;
  readonly causeId: string | undefined;
  readonly from: string;
  readonly to: string;
  readonly type: string;
  readonly kind: 'message' | 'effect';
  readonly outcome?: 'done' | 'failed';
  /** What the message is about (`Kind namespace/name`), when known. */
  readonly subject?: string;
  /** Effects: id of the reply (effect.done / effect.failed) the actor received; what it caused follows from it. */
  readonly replyId?: string;
}

export interface FlowFilter {
  /** Steps from or to this actor. */
  readonly actor?: string;
  /** Steps whose message type or effect name contains this text. */
  readonly type?: string;
  /** The step with this message id and everything it caused (following cause ids). */
  readonly cause?: string;
  /** Steps about a resource whose `Kind namespace/name` contains this text. */
  readonly resource?: string;
  readonly limit?: number;
}

/** The message flow in a window of trace events: outside sends, actor-to-actor messages and effects. */
export function flowSteps(events: readonly NumberedTraceEvent[]): FlowStep[] {
  const steps: FlowStep[] = [];
  const effects = new Map<string, { index: number }>();
  // An effect is about what the message that caused it is about (a status write, its object).
  const subjects = new Map<string, string>();
  for (const event of events) {
    if (event.kind === 'send') {
      if (event.subject !== undefined) subjects.set(event.meta.id, event.subject);
      steps.push({
        seq: event.seq,
        time: event.time,
        id: event.meta.id,
        causeId: event.meta.causeId,
        from: event.actor,
        to: event.to,
        type: event.messageType,
        kind: 'message',
        ...(event.subject === undefined ? {} : { subject: event.subject }),
      });
    } else if (event.kind === 'effect') {
      const key = `${event.actor}\u0000${event.effect}\u0000${event.meta?.id ?? ''}`;
      if (event.phase === 'start') {
        effects.set(key, { index: steps.length });
        steps.push({
          seq: event.seq,
          time: event.time,
          id: `effect:${event.seq}`,
          causeId: event.meta?.id,
          from: event.actor,
          to: `effect:${event.effect}`,
          type: event.effect,
          kind: 'effect',
          ...(event.meta !== undefined && subjects.has(event.meta.id)
            ? { subject: subjects.get(event.meta.id)! }
            : {}),
        });
      } else {
        const started = effects.get(key);
        if (started !== undefined) {
          // What the machine does on the reply is about the same objects (a patcher writing a batch's next status).
          const subject = steps[started.index]!.subject;
          if (event.reply !== undefined && subject !== undefined) subjects.set(event.reply.id, subject);
          steps[started.index] = {
            ...steps[started.index]!,
            outcome: event.phase,
            ...(event.reply === undefined ? {} : { replyId: event.reply.id }),
          };
          effects.delete(key);
        }
      }
    }
  }
  return steps;
}

export function filterFlow(steps: readonly FlowStep[], filter: FlowFilter): FlowStep[] {
  let chosen: readonly FlowStep[] = steps;
  if (filter.cause !== undefined && filter.cause !== '') {
    // Everything downstream of one message: breadth-first over cause ids.
    const wanted = new Set([filter.cause]);
    chosen = steps.filter((step) => {
      if (step.id === filter.cause || (step.causeId !== undefined && wanted.has(step.causeId))) {
        wanted.add(step.id);
        if (step.replyId !== undefined) wanted.add(step.replyId);
        return true;
      }
      return false;
    });
  }
  if (filter.actor !== undefined && filter.actor !== '') {
    const actor = filter.actor;
    chosen = chosen.filter((step) => step.from === actor || step.to === actor);
  }
  if (filter.type !== undefined && filter.type !== '') {
    const type = filter.type;
    chosen = chosen.filter((step) => step.type.includes(type));
  }
  if (filter.resource !== undefined && filter.resource !== '') {
    const resource = filter.resource;
    chosen = chosen.filter((step) => step.subject?.includes(resource) === true);
  }
  const limit = filter.limit ?? 500;
  return chosen.slice(Math.max(0, chosen.length - limit));
}
