// Where provisioned test parts (kube-apiserver, etcd, Envoy, CRD sources) are kept between runs.
// Outside the clone by default so that a fresh clone on the same machine (CI) reuses them;
// SWITCHYARD_CACHE_DIR moves it, e.g. to a git-ignored `.cache/` inside the repo.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(...parts: string[]): string {
  const root =
    process.env.SWITCHYARD_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'switchyard');
  const dir = join(root, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A part of the test infrastructure that could not be provisioned: the message names it and says why. */
export class ProvisionError extends Error {
  readonly part: string;

  constructor(part: string, reason: string) {
    super(`cannot provision ${part}: ${reason}`);
    this.name = 'ProvisionError';
    this.part = part;
  }
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, collecting its output; never throws on a non-zero exit. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; inheritOutput?: boolean } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (options.inheritOutput) process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      if (options.inheritOutput) process.stderr.write(chunk);
    });
    child.on('error', (error) => resolve({ code: 127, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * Runs `build` while holding a lock file in the cache, so concurrent test runs (several clones or worktrees on
 * one machine) wait for one build of a part instead of each building it. A lock whose owner process is gone
 * is taken over. `build` must itself check whether the part is already there: a waiter runs it after the
 * owner finished, and then finds it cached.
 */
export async function withCacheLock<T>(name: string, build: () => Promise<T>): Promise<T> {
  const lock = join(cacheDir('locks'), `${name}.lock`);
  let announced = false;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!lockOwnerAlive(lock)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (!announced) process.stderr.write(`[provision] waiting for another run holding ${name} …\n`);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  try {
    return await build();
  } finally {
    rmSync(lock, { force: true });
  }
}

function lockOwnerAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, 'utf8'));
  } catch {
    return true; // being written right now
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
