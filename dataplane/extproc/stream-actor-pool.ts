// A fixed pool of stream actors in one ActorSystem. A stream takes a free actor for its lifetime; when
// none is free the caller answers at once (503), so load beyond the pool is refused, never queued.
import type { Logger } from 'pino';
import { ActorSystem, type Clock, type IdGenerator, type TraceBus } from '../../runtime/index.ts';
import {
  type ReleaseRequest,
  type RespondRequest,
  type StreamActorMessage,
  streamActorMachine,
} from './stream-actor.ts';

const ONE_WAY_EFFECTS = ['respond', 'release'];

export interface StreamActorPoolOptions {
  /** How many streams are processed at once. */
  readonly size: number;
  /** Each actor's mailbox; beyond it, senders wait (the gRPC stream is paused). */
  readonly mailboxCapacity: number;
  readonly respond: (request: RespondRequest) => void;
  readonly released: (request: ReleaseRequest) => void;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly trace?: TraceBus;
}

export interface PoolStats {
  readonly size: number;
  readonly busy: number;
  readonly acquired: number;
  readonly rejected: number;
}

export class StreamActorPool {
  readonly system: ActorSystem;
  readonly #free: string[] = [];
  /** Which actor serves which stream. */
  readonly #names: Record<string, string> = Object.create(null);
  readonly #size: number;
  #acquired = 0;
  #rejected = 0;

  constructor(options: StreamActorPoolOptions) {
    if (options.size < 1) throw new Error('the stream actor pool needs at least one actor');
    this.#size = options.size;
    this.system = new ActorSystem({
      clock: options.clock,
      ids: options.ids,
      trace: options.trace,
      logger: options.logger,
    });
    const effects = {
      respond: (request: RespondRequest) => options.respond(request),
      release: (request: ReleaseRequest) => {
        options.released(request);
        // Freed only now: the machine has dropped the stream from its context, so the next one starts clean.
        this.#free.push(this.#names[request.streamId]!);
        delete this.#names[request.streamId];
      },
    };
    // Started before spawning: each spawn then starts just its own actor. Starting a system of many
    // registered actors recurses once per actor through readiness callbacks and overflows the stack.
    this.system.start();
    for (let i = this.#size - 1; i >= 0; i--) {
      const name = `extproc-stream-${i}`;
      this.system.spawn<StreamActorMessage>({
        name,
        machine: streamActorMachine,
        mailbox: { capacity: options.mailboxCapacity },
        effects,
        // The machine waits for neither (a reply written, a stream released): no effect.done step per message.
        oneWayEffects: ONE_WAY_EFFECTS,
      });
      this.#free.push(name);
    }
  }

  /** A free actor for `streamId`, or undefined when every actor is busy (the caller refuses the stream). */
  acquire(streamId: string): string | undefined {
    const name = this.#free.pop();
    if (name === undefined) {
      this.#rejected++;
      return undefined;
    }
    this.#acquired++;
    this.#names[streamId] = name;
    return name;
  }

  stats(): PoolStats {
    return {
      size: this.#size,
      busy: this.#size - this.#free.length,
      acquired: this.#acquired,
      rejected: this.#rejected,
    };
  }

  async stop(deadlineMs = 5_000): Promise<void> {
    await this.system.stop(deadlineMs);
  }
}
