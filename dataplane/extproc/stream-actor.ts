// The per-stream actor: one ext_proc stream at a time, one machine event per ext_proc message. The
// translation work is the StreamProcessor's (pure data in, data out); the machine owns the lifecycle and
// hands replies and its release to ports.
import { assign, emit, setup } from 'xstate';
import type { EffectReply, Message, Outgoing } from '../../runtime/index.ts';
import { effectRequest } from '../../runtime/index.ts';
import type { ExtProcConfig } from './config.ts';
import { clientErrorResponse } from './immediate-replies.ts';
import type { ProcessingRequest, ProcessingResponse } from './processing-messages.ts';
import { type StreamOutcome, StreamProcessor } from './stream-processor.ts';

/** A stream's first message (its request headers) opens it: one machine event per ext_proc message. */
export interface StreamOpen extends Message<'stream.open'> {
  readonly streamId: string;
  readonly config: ExtProcConfig;
  readonly request: ProcessingRequest;
}

export interface StreamProcess extends Message<'stream.process'> {
  readonly streamId: string;
  readonly request: ProcessingRequest;
}

export interface StreamClose extends Message<'stream.close'> {
  readonly streamId: string;
  readonly reason: 'completed' | 'cancelled' | 'failed';
}

/** The inbox of a stream actor. */
export type StreamActorMessage = StreamOpen | StreamProcess | StreamClose;

/** Request of the `respond` port: write `response` on the stream. */
export interface RespondRequest {
  readonly streamId: string;
  readonly response: ProcessingResponse;
}

/** Request of the `release` port: the stream is over and the actor is free again. */
export interface ReleaseRequest {
  readonly streamId: string;
  readonly reason: StreamClose['reason'];
  readonly outcome: StreamOutcome;
}

interface StreamContext {
  readonly streamId: string | undefined;
  readonly processor: StreamProcessor | undefined;
}

/** A processor bug answers this one request with a 500 instead of crashing the actor. */
function reply(processor: StreamProcessor, request: ProcessingRequest, time: number): ProcessingResponse {
  try {
    return processor.process(request, time);
  } catch (error) {
    return clientErrorResponse(undefined, 500, `ext_proc failed: ${(error as Error).message}`);
  }
}

// One state for the actor's whole life: a free actor and a busy one differ only in their context (a stream and
// its processor, or none), so taking and releasing a stream are transitions without a target. XState computes no
// exit and entry sets for those, the costliest part of a step; five steps per request (open, three messages,
// close) made that a fifth of the service's CPU per request (bench/extproc.chat.bench.ts).
export const streamActorMachine = setup({
  types: {
    context: {} as StreamContext,
    events: {} as StreamActorMessage | EffectReply,
    emitted: {} as Outgoing,
  },
  guards: {
    free: ({ context }) => context.streamId === undefined,
    ownStream: ({ context, event }) => 'streamId' in event && event.streamId === context.streamId,
  },
}).createMachine({
  id: 'extproc-stream',
  context: { streamId: undefined, processor: undefined },
  initial: 'serving',
  states: {
    serving: {
      tags: ['ready'],
      on: {
        'stream.open': {
          guard: 'free',
          actions: [
            assign(({ event }) => ({
              streamId: event.streamId,
              processor: new StreamProcessor(event.config, event.streamId),
            })),
            emit(({ context, event }) =>
              effectRequest('respond', {
                streamId: event.streamId,
                response: reply(context.processor!, event.request, event.meta.time),
              } satisfies RespondRequest),
            ),
          ],
        },
        'stream.process': {
          guard: 'ownStream',
          actions: emit(({ context, event }) =>
            effectRequest('respond', {
              streamId: event.streamId,
              response: reply(context.processor!, event.request, event.meta.time),
            } satisfies RespondRequest),
          ),
        },
        'stream.close': {
          guard: 'ownStream',
          actions: [
            emit(({ context, event }) =>
              effectRequest('release', {
                streamId: event.streamId,
                reason: event.reason,
                outcome: context.processor!.outcome,
              } satisfies ReleaseRequest),
            ),
            assign({ streamId: undefined, processor: undefined }),
          ],
        },
      },
    },
  },
});
