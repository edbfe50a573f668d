// Where provisioned test parts (kube-apiserver, etcd, Envoy, CRD sources) are kept between runs.
// Outside the clone by default so that a fresh clone on the same machine (CI) reuses them;
// SWITCHYARD_CACHE_DIR moves it, e.g. to a git-ignored `.cache/` inside the repo.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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
