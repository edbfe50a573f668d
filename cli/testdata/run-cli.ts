// Runs the `switchyard` CLI for tests in this process (`runCli`): its exit code and what it wrote to stdout and
// stderr, as `spawnCli` (spawn-cli.ts) gives them for a child process.
import { Writable } from 'node:stream';
import { loadCommands, main } from '../switchyard.ts';
import type { CliRun } from './spawn-cli.ts';

// The CLI loads a command's modules when it first runs; loaded here, a test's time is the command's run, not
// loading the controller's module graph (seconds on a loaded machine).
await loadCommands();

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
