// Delivers a data plane's configuration document (the ext_proc service's, the MCP proxy's): writes the latest
// desired document through the `write-config` port, one write at a time, skipping a document equal to the last
// one written, retrying a failed write with capped exponential backoff. A document that arrives during a write is
// written next (only the latest: the mailbox coalesces them). Each writer is its own actor with its own port.
import { assign, enqueueActions, setup } from 'xstate';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import type { Message } from '../../runtime/message.ts';
import { type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';

export const WRITE_CONFIG = 'write-config';

/** The whole document as it should be now (the writer coalesces to the latest). */
export interface ConfigDesired<TConfig = unknown> extends Message<'config.desired'> {
  readonly config: TConfig;
}

type ConfigDocument = unknown;

export interface ConfigWriterInput {
  readonly retry?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
}

interface ConfigWriterContext {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** JSON of the document last written. */
  written: string | undefined;
  /** The latest desired document not yet written. */
  pending: ConfigDocument | undefined;
  inFlight: { readonly config: ConfigDocument; readonly json: string } | undefined;
  attempts: number;
  writes: number;
  failures: number;
}

export const configWriterMachine = setup({
  types: {
    input: {} as ConfigWriterInput,
    context: {} as ConfigWriterContext,
    events: {} as ConfigDesired | EffectReply,
    emitted: {} as Outgoing,
  },
  delays: {
    backoff: ({ context }) =>
      Math.min(context.maxDelayMs, context.initialDelayMs * 2 ** Math.max(0, context.attempts - 1)),
  },
  guards: {
    hasNewDocument: ({ context }) =>
      context.pending !== undefined && JSON.stringify(context.pending) !== context.written,
  },
  actions: {
    remember: assign(({ event }) => (event.type === 'config.desired' ? { pending: event.config } : {})),
    dropUnchanged: assign(() => ({ pending: undefined })),
    startWrite: enqueueActions(({ context, enqueue }) => {
      const config = context.pending!;
      context.pending = undefined;
      context.inFlight = { config, json: JSON.stringify(config) };
      context.attempts = 1;
      enqueue.emit(effectRequest(WRITE_CONFIG, { config }));
    }),
    retryWrite: enqueueActions(({ context, enqueue }) => {
      context.attempts++;
      if (context.inFlight !== undefined)
        enqueue.emit(effectRequest(WRITE_CONFIG, { config: context.inFlight.config }));
    }),
    recordWritten: assign(({ context }) => ({
      written: context.inFlight?.json,
      inFlight: undefined,
      attempts: 0,
      writes: context.writes + 1,
    })),
    recordFailure: assign(({ context }) => ({ failures: context.failures + 1 })),
  },
}).createMachine({
  id: 'config-writer',
  context: ({ input }) => ({
    initialDelayMs: input.retry?.initialDelayMs ?? 200,
    maxDelayMs: input.retry?.maxDelayMs ?? 30_000,
    written: undefined,
    pending: undefined,
    inFlight: undefined,
    attempts: 0,
    writes: 0,
    failures: 0,
  }),
  initial: 'idle',
  on: { 'config.desired': { actions: 'remember', target: '.deciding' } },
  states: {
    idle: { tags: ['ready'] },
    deciding: {
      always: [
        { guard: 'hasNewDocument', target: 'writing', actions: 'startWrite' },
        { target: 'idle', actions: 'dropUnchanged' },
      ],
    },
    // Busy: intake pauses while a write runs; the mailbox keeps only the latest document meanwhile.
    writing: {
      tags: ['ready', 'busy'],
      on: {
        'config.desired': { actions: 'remember' },
        'effect.done': { target: 'deciding', actions: 'recordWritten' },
        'effect.failed': { target: 'waitingToRetry', actions: 'recordFailure' },
      },
    },
    // Not busy: a newer document may arrive meanwhile (it is written after the retry), and a virtual clock
    // can move on to the backoff timer.
    waitingToRetry: {
      tags: ['ready'],
      on: { 'config.desired': { actions: 'remember' } },
      after: { backoff: { target: 'writing', actions: 'retryWrite' } },
    },
  },
});

/** A writer actor named `name` whose `write-config` port is `write`. */
export function configWriterSpec<TConfig>(
  name: string,
  write: (request: { config: TConfig }) => Promise<unknown>,
  input: ConfigWriterInput = {},
): ActorSpec<ConfigDesired<TConfig> | EffectReply> {
  return {
    name,
    machine: configWriterMachine,
    input,
    mailbox: {
      capacity: 64,
      // Only the latest desired document matters.
      coalesceBy: (message) => (message.type === 'config.desired' ? 'config' : message.meta.id),
    },
    effects: { [WRITE_CONFIG]: write },
  };
}
