// Runs the `switchyard` CLI for tests: in this process (`runCli`), or as users run it, a child process of
// `node cli/switchyard.ts` (`spawnCli`). Either way: its exit code and what it wrote to stdout and stderr.
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadCommands, main } from '../switchyard.ts';

// The CLI loads a command's modules when it first runs; loaded here, a test's time is the command's run, not
// loading the controller's module graph (seconds on a loaded machine).
await loadCommands();

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(args: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await main([...args], {
    stdout: sink((text) => {
      stdout += text;
    }),
    stderr: sink((text) => {
      stderr += text;
    }),
    env: {},
    stopRequested: new Promise(() => {}),
  });
  return { code, stdout, stderr };
}

const CLI = fileURLToPath(new URL('../switchyard.ts', import.meta.url));

/** `node cli/switchyard.ts <args>` in a child process, to its end (a signal counts as exit code -1). */
export function spawnCli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
