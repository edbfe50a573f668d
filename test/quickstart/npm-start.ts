// `npm start` as a user runs it in a terminal: its own process group (so Ctrl-C is a SIGINT to the shell, npm, the
// script, the controller and its Envoy alike), stdout and stderr collected, the banner awaited.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../provision/cache.ts';

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
  killLeftBehind();
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
    for (const wake of changed.splice(0)) wake();
  });
  const closed = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const group = child.pid!;
  writeFileSync(GROUP_FILE, String(group));
  // A worker that ends normally takes the quick start with it; one killed outright leaves the file for the next.
  const killGroup = () => signalGroup(group, 'SIGKILL');
  process.once('exit', killGroup);
  const gone = () => {
    process.off('exit', killGroup);
    rmSync(GROUP_FILE, { force: true });
  };
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    banner: async () => {
      for (;;) {
        if (stdout.includes(BANNER_END)) return stdout;
        // The quick start gave up waiting for an answer through Envoy (it keeps running for the user to fix it).
        if (stderr.includes('quickstart: no answer through Envoy'))
          throw new Error(`npm start found no answer through Envoy:\n${stdout}\n${stderr}`);
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
      gone();
      return ended;
    },
    kill: () => {
      signalGroup(group, 'SIGKILL');
      gone();
    },
  };
}

/**
 * The process group of the quick start that holds the fixed ports, recorded while it runs (callers hold the
 * `quickstart-ports` cache lock). A test process killed outright cannot stop its quick start, whose processes
 * would keep the ports: the next one kills what the file names.
 */
const GROUP_FILE = join(cacheDir('locks'), 'quickstart-ports.group');

function killLeftBehind(): void {
  if (!existsSync(GROUP_FILE)) return;
  const group = Number(readFileSync(GROUP_FILE, 'utf8'));
  // Only if that group still is a quick start (its id may have been reused since).
  if (Number.isInteger(group) && group > 1 && groupMembers(group).some((c) => c.includes('quickstart')))
    signalGroup(group, 'SIGKILL');
  rmSync(GROUP_FILE, { force: true });
}

/** The command lines of the processes in a process group (Linux /proc). */
function groupMembers(group: number): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // After the command name (which may hold spaces): state, ppid, pgrp.
        const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
        return pgrp === group ? [readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // already gone
  }
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
