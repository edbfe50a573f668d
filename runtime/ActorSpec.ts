import type { AnyStateMachine } from 'xstate';
import type { Message } from './message.ts';
import type { EffectPorts } from './outbox.ts';
import type { SupervisionPolicy } from './supervision.ts';

// What an actor is, seen from outside: how to build one (every actor folder's index.ts exports an ActorSpec) and
// what a running one reports about itself (its lifecycle status and numbers, for metrics and the inspector). The
// running actor itself is Actor.ts.

/** How to build one actor: its machine, its inbox and how it is supervised. */
export interface ActorSpec<TMessage extends Message = Message> {
  readonly name: string;
  /** A typed XState v5 machine; tag a state `ready` when the actor is ready (synced), `busy` to pause intake. */
  readonly machine: AnyStateMachine;
  readonly input?: unknown;
  readonly mailbox: {
    readonly capacity: number;
    /** Coalesce by this key (controllers): the latest queued message per key wins. */
    readonly coalesceBy?: (message: TMessage) => string;
    /**
     * With `coalesceBy`: the keys a batch carries newer data for (undefined for a message of one key). An older
     * message queued for one of them is not replaced in place any more: a later one queues behind the batch.
     */
    readonly keysWithin?: (message: TMessage) => readonly string[] | undefined;
  };
  /** Actors that must report ready before this one starts. */
  readonly dependsOn?: readonly string[];
  /** Ports for the effects the machine requests. */
  readonly effects?: EffectPorts;
  /**
   * Effects the machine fires and forgets: a success is not sent back as `effect.done` (one machine step less per
   * effect, for ports on a hot path such as writing a reply); a throw or rejection still comes back as
   * `effect.failed`.
   */
  readonly oneWayEffects?: readonly string[];
  readonly supervision?: Partial<SupervisionPolicy>;
}

export type ActorStatus = 'created' | 'running' | 'restarting' | 'stopping' | 'stopped';

/** Numbers about one actor, read by metrics and the inspector. */
export interface ActorStats {
  readonly name: string;
  readonly status: ActorStatus;
  readonly state: string;
  readonly ready: boolean;
  readonly mailboxDepth: number;
  readonly mailboxCapacity: number;
  readonly mailboxHighWaterMark: number;
  readonly waitingSenders: number;
  readonly handled: number;
  readonly failures: number;
  readonly restarts: number;
  readonly lastError: string | undefined;
  readonly handlingSeconds: number;
}
