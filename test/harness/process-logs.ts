// The JSON log lines of a child process (a `switchyard` command), collected as they come, with a wait for a line.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ProcessLogs<TEntry> {
  readonly logs: readonly TEntry[];
  /** Everything written to stderr so far (logs and usage errors). */
  stderr(): string;
  /** Resolves once a log line satisfies `match` (written already or still to come); rejects if the process exits first. */
  logged(match: (entry: TEntry) => boolean): Promise<TEntry>;
}

export function processLogs<TEntry>(
  child: ChildProcess,
  exited: Promise<unknown>,
  name: string,
): ProcessLogs<TEntry> {
  const logs: TEntry[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr += `${line}\n`;
    if (line.startsWith('{')) logs.push(JSON.parse(line) as TEntry);
    for (const notify of waiters) notify();
  });
  return {
    logs,
    stderr: () => stderr,
    logged: (match) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find(match);
          if (found === undefined) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
        void exited.then((code) => reject(new Error(`${name} exited with ${String(code)}:\n${stderr}`)));
      }),
  };
}
