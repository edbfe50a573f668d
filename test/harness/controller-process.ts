// `switchyard controller` as its own process, as users run it (standalone on a folder of YAML, a local Envoy per
// Gateway with --local-envoy): JSON log lines collected, SIGTERM to stop.
import { type ChildProcess, spawn } from 'node:child_process';
import { processLogs } from './process-logs.ts';

const CLI = new URL('../../cli/switchyard.ts', import.meta.url).pathname;

export interface ControllerProcess {
  readonly child: ChildProcess;
  readonly logs: readonly Record<string, unknown>[];
  stderr(): string;
  /** Resolves once a log line satisfies `match`; rejects if the process exits first. */
  logged(match: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function spawnController(args: readonly string[]): ControllerProcess {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'controller',
      '--xds-address=127.0.0.1:0',
      '--http-address=127.0.0.1:0',
      '--inspector=off',
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      process.off('exit', orphaned);
      resolve(code);
    }),
  );
  const { logs, stderr, logged } = processLogs<Record<string, unknown>>(
    child,
    exited,
    'switchyard controller',
  );
  return {
    child,
    logs,
    stderr,
    logged,
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
