// Runs the `switchyard` CLI as users run it, a child process of `node cli/switchyard.ts`: its exit code and what
// it wrote to stdout and stderr. Importing it loads nothing of the CLI into the test's process (run-cli.ts runs
// the CLI in the test's process instead).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const CLI = fileURLToPath(new URL('../switchyard.ts', import.meta.url));

/**
 * `node cli/switchyard.ts <args>` in a child process, with `env` over the test's environment, to its end (a
 * signal counts as exit code -1).
 */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
