// The pool of session actors: a client session takes a free actor from its initialize to its end; when none is
// free the initialize is answered 503 at once, so sessions beyond the pool are refused, never queued.
import type { Logger } from 'pino';
import { ActorPool, type Clock, type IdGenerator, type TraceBus } from '../../runtime/index.ts';
import {
  type CloseRequest,
  type ForwardRequest,
  type OpenRequest,
  type RefuseRequest,
  type ReleaseRequest,
  type SessionActorMessage,
  sessionActorMachine,
} from './session-actor.ts';
import type { CallSummary } from './session-calls.ts';

export interface SessionPorts {
  readonly open: (request: OpenRequest) => Promise<unknown>;
  readonly forward: (request: ForwardRequest) => Promise<CallSummary>;
  readonly refuse: (request: RefuseRequest) => void;
  readonly close: (request: CloseRequest) => Promise<void>;
  /** The session is over; its actor is free again when this is called. */
  readonly release: (request: ReleaseRequest) => void;
}

export interface SessionPoolOptions {
  /** How many client sessions are served at once. */
  readonly size: number;
  /** Requests queued per session; beyond it, the next request waits for room. */
  readonly mailboxCapacity: number;
  readonly ports: SessionPorts;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly trace?: TraceBus;
}

export function sessionPool(options: SessionPoolOptions): ActorPool<SessionActorMessage> {
  const { ports } = options;
  const pool: ActorPool<SessionActorMessage> = new ActorPool<SessionActorMessage>({
    size: options.size,
    namePrefix: 'mcp-session',
    machine: sessionActorMachine,
    mailboxCapacity: options.mailboxCapacity,
    logger: options.logger,
    clock: options.clock,
    ids: options.ids,
    trace: options.trace,
    effects: {
      open: ports.open,
      forward: ports.forward,
      refuse: ports.refuse,
      close: ports.close,
      release: (request: ReleaseRequest) => {
        // Freed only now: the machine is back in idle, so the next session starts from a clean context.
        pool.release(request.sessionId);
        ports.release(request);
      },
    },
    oneWayEffects: ['refuse', 'release'],
  });
  return pool;
}
