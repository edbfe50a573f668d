// The per-session actor: one client session at a time, from its initialize to its end (the client's DELETE,
// the idle timeout, the route removed). The machine owns the session's lifecycle and its clock — which
// requests run (a closing session refuses them), how many are in flight, when an idle session expires (never
// with a request in flight) — and hands the work to ports: `open` initialises the backends, `forward` runs one
// client request (a tool call, a list …), `refuse` fails a request the session will not run, `close` ends the
// backend sessions, `release` frees the actor. Each client request is one message and one effect, so tool
// calls show in the inspector's message flow with their outcome.
import { assign, emit, enqueueActions, setup } from 'xstate';
import type { EffectReply, Message, Outgoing } from '../../runtime/index.ts';
import { effectRequest } from '../../runtime/index.ts';

/** A new session: initialise its backends (the client's initialize request waits for it). */
export interface SessionOpen extends Message<'mcp.session.open'> {
  readonly sessionId: string;
  readonly route: string;
  readonly idleTimeoutMs: number;
}

/** One client request of the session (a tool call, a list, a read …): run it. */
export interface SessionCall extends Message<'mcp.call'> {
  readonly sessionId: string;
  readonly callId: string;
  readonly method: string;
  /** The tool, prompt or resource it names (prefixed); absent for lists. */
  readonly target?: string | undefined;
}

/** End the session: the client deleted it, or its route is gone. */
export interface SessionClose extends Message<'mcp.session.close'> {
  readonly sessionId: string;
  readonly reason: CloseReason;
}

export type CloseReason = 'deleted' | 'expired' | 'route-removed' | 'failed' | 'shutdown';

/** The inbox of a session actor. */
export type SessionActorMessage = SessionOpen | SessionCall | SessionClose;

export interface OpenRequest {
  readonly sessionId: string;
}
export interface ForwardRequest {
  readonly sessionId: string;
  readonly callId: string;
  readonly method: string;
  readonly target: string | undefined;
}
export interface RefuseRequest {
  readonly sessionId: string;
  readonly callId: string;
}
export interface CloseRequest {
  readonly sessionId: string;
  readonly reason: CloseReason;
}
export interface ReleaseRequest {
  readonly sessionId: string;
  readonly reason: CloseReason;
}

interface SessionContext {
  readonly sessionId: string | undefined;
  readonly route: string | undefined;
  readonly idleTimeoutMs: number;
  readonly inFlight: number;
  readonly calls: number;
  readonly closeReason: CloseReason | undefined;
}

const IDLE: SessionContext = {
  sessionId: undefined,
  route: undefined,
  idleTimeoutMs: 0,
  inFlight: 0,
  calls: 0,
  closeReason: undefined,
};

const ownSession = ({ context, event }: { context: SessionContext; event: { sessionId?: string } }) =>
  event.sessionId === context.sessionId;
const forwardReply = ({
  context,
  event,
}: {
  context: SessionContext;
  event: SessionActorMessage | EffectReply;
}) =>
  (event.type === 'effect.done' || event.type === 'effect.failed') &&
  event.effect === 'forward' &&
  (event.request as ForwardRequest).sessionId === context.sessionId;

export const sessionActorMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionActorMessage | EffectReply,
    emitted: {} as Outgoing,
  },
  delays: {
    idle: ({ context }) => context.idleTimeoutMs,
  },
  guards: {
    ownSession: ({ context, event }) => 'sessionId' in event && ownSession({ context, event }),
    forwardReply,
    opened: ({ context, event }) =>
      event.type === 'effect.done' &&
      event.effect === 'open' &&
      (event.request as OpenRequest).sessionId === context.sessionId,
    openFailed: ({ context, event }) =>
      event.type === 'effect.failed' &&
      event.effect === 'open' &&
      (event.request as OpenRequest).sessionId === context.sessionId,
    closed: ({ context, event }) =>
      (event.type === 'effect.done' || event.type === 'effect.failed') &&
      event.effect === 'close' &&
      (event.request as CloseRequest).sessionId === context.sessionId,
    nothingInFlight: ({ context }) => context.inFlight === 0,
  },
  actions: {
    forward: enqueueActions(({ context, event, enqueue }) => {
      const call = event as SessionCall;
      enqueue.assign({ inFlight: context.inFlight + 1, calls: context.calls + 1 });
      enqueue.emit(
        effectRequest('forward', {
          sessionId: call.sessionId,
          callId: call.callId,
          method: call.method,
          target: call.target,
        } satisfies ForwardRequest),
      );
    }),
    finished: assign(({ context }) => ({ inFlight: Math.max(0, context.inFlight - 1) })),
    refuse: emit(({ event }) => {
      const call = event as SessionCall;
      return effectRequest('refuse', {
        sessionId: call.sessionId,
        callId: call.callId,
      } satisfies RefuseRequest);
    }),
    close: emit(({ context }) =>
      effectRequest('close', {
        sessionId: context.sessionId!,
        reason: context.closeReason ?? 'failed',
      } satisfies CloseRequest),
    ),
    release: emit(({ context }) =>
      effectRequest('release', {
        sessionId: context.sessionId!,
        reason: context.closeReason ?? 'failed',
      } satisfies ReleaseRequest),
    ),
  },
}).createMachine({
  id: 'mcp-session',
  context: IDLE,
  initial: 'idle',
  states: {
    idle: {
      tags: ['ready'],
      entry: assign(() => IDLE),
      on: {
        'mcp.session.open': {
          target: 'opening',
          actions: [
            assign(({ event }) => ({
              ...IDLE,
              sessionId: event.sessionId,
              route: event.route,
              idleTimeoutMs: event.idleTimeoutMs,
            })),
            emit(({ event }) => effectRequest('open', { sessionId: event.sessionId } satisfies OpenRequest)),
          ],
        },
        // A request of a session that ended meanwhile: it fails at once rather than waiting.
        'mcp.call': { actions: 'refuse' },
      },
    },
    opening: {
      tags: ['ready'],
      on: {
        'effect.done': { guard: 'opened', target: 'active' },
        'effect.failed': {
          guard: 'openFailed',
          target: 'closing',
          actions: assign({ closeReason: 'failed' as CloseReason }),
        },
        'mcp.session.close': {
          guard: 'ownSession',
          target: 'closing',
          actions: assign(({ event }) => ({ closeReason: event.reason })),
        },
        'mcp.call': { actions: 'refuse' },
      },
    },
    active: {
      tags: ['ready'],
      // Every request re-enters the state, which restarts the idle timer.
      after: {
        idle: [
          {
            guard: 'nothingInFlight',
            target: 'closing',
            actions: assign({ closeReason: 'expired' as CloseReason }),
          },
          { target: 'active', reenter: true },
        ],
      },
      on: {
        'mcp.call': [
          { guard: 'ownSession', target: 'active', reenter: true, actions: 'forward' },
          { actions: 'refuse' },
        ],
        'effect.done': { guard: 'forwardReply', target: 'active', reenter: true, actions: 'finished' },
        'effect.failed': { guard: 'forwardReply', target: 'active', reenter: true, actions: 'finished' },
        'mcp.session.close': {
          guard: 'ownSession',
          target: 'closing',
          actions: assign(({ event }) => ({ closeReason: event.reason })),
        },
      },
    },
    closing: {
      tags: ['ready'],
      entry: 'close',
      on: {
        'effect.done': [
          { guard: 'closed', target: 'idle', actions: 'release' },
          { guard: 'forwardReply', actions: 'finished' },
        ],
        'effect.failed': [
          { guard: 'closed', target: 'idle', actions: 'release' },
          { guard: 'forwardReply', actions: 'finished' },
        ],
        'mcp.call': { actions: 'refuse' },
      },
    },
  },
});
