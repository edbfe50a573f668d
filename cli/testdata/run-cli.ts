// Runs the `switchyard` CLI in this process, as tests do: its exit code and what it wrote to stdout and stderr.
import { Writable } from 'node:stream';
import { main } from '../switchyard.ts';

export async function runCli(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
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
