// `npm start` as a user runs it in a terminal: its own process group (so Ctrl-C is a SIGINT to the shell, npm, the
// script, the controller and its Envoy alike), stdout and stderr collected, the banner awaited.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface NpmStart {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the banner (stdout) once it is printed; rejects if npm start exits first. */
  banner(): Promise<string>;
  /** Ctrl-C: SIGINT to the whole process group; resolves with how the shell ended once every process is gone. */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** For cleanup after a failure: SIGKILL to the group. */
  kill(): void;
}

export const BANNER_END = 'Ctrl-C stops everything.';

/** `npm start -- <args>`, or a whole command line that ends in it (`npm install && npm start`), run by sh. */
export function npmStart(options: {
  readonly cwd: string;
  readonly args?: readonly string[];
  readonly command?: string;
  readonly env?: NodeJS.ProcessEnv;
}): NpmStart {
  const quoted = (options.args ?? []).map((arg) => `'${arg.replaceAll("'", "'\\''")}'`);
  const command = options.command ?? ['npm start', ...(quoted.length > 0 ? ['--', ...quoted] : [])].join(' ');
  const child = spawn('sh', ['-c', command], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  const changed: (() => void)[] = [];
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
    for (const wake of changed.splice(0)) wake();
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const closed = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const group = child.pid!;
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    banner: async () => {
      for (;;) {
        if (stdout.includes(BANNER_END)) return stdout;
        const ended = await Promise.race([
          new Promise<false>((resolve) => changed.push(() => resolve(false))),
          closed.then(() => true),
        ]);
        if (ended && !stdout.includes(BANNER_END))
          throw new Error(`npm start ended before its banner:\n${stdout}\n${stderr}`);
      }
    },
    interrupt: async () => {
      process.kill(-group, 'SIGINT');
      const ended = await closed;
      await groupGone(group);
      return ended;
    },
    kill: () => {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/** Waits until no process of the group is left (the controller and its Envoy exit after npm). */
async function groupGone(group: number): Promise<void> {
  for (;;) {
    try {
      process.kill(-group, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
