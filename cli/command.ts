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
}
