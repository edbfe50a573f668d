import type { OptionTable, ParsedCommand } from './options.ts';

/** What a command may touch of the process: injected so tests run commands in-process. */
export interface CommandIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  readonly stopRequested: Promise<NodeJS.Signals>;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: OptionTable;
  /** Returns the process exit code. */
  run(parsed: ParsedCommand, io: CommandIO): Promise<number>;
  /**
   * Whether a stop (Ctrl-C, SIGTERM) abandons this run at once: a command that computes and prints has nothing to
   * drain. A server (or `replay --inspect`) takes `io.stopRequested` itself and drains.
   */
  readonly endsOnStop?: (parsed: ParsedCommand) => boolean;
}

/** A failure the command expects and explains in its message (exit 1, one line, no stack trace). */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** A stop (SIGINT, SIGTERM) came while the command was still starting: it ends at once, without a stack trace. */
export class Interrupted extends Error {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals, when = ' while starting') {
    super(`stopped by ${signal}${when}`);
    this.name = 'Interrupted';
    this.signal = signal;
  }
}

/** Waits for a start-up step, or rejects with `Interrupted` if the process is asked to stop first. */
export function untilStopped<T>(io: CommandIO, step: Promise<T>): Promise<T> {
  return Promise.race([
    step,
    io.stopRequested.then((signal) => {
      throw new Interrupted(signal);
    }),
  ]);
}
