// A long-running server process owned by the test run: output goes to a log file (quoted when it fails),
// and it is killed when the run ends, even when the run itself is interrupted: by an exit handler, and by the
// kernel (setpriv --pdeathsig) when the test process is killed outright.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  /** The last lines of the log, for error messages. */
  logTail(lines?: number): string;
  /** Resolves once `probe` answers true; rejects if the process exits first or `timeoutMs` passes. */
  waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export function startManagedProcess(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
): ManagedProcess {
  const log = openSync(logFile, 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exit: string | undefined;
  child.on('exit', (code, signal) => {
    exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
  });
  child.on('error', (error) => {
    exit = `failed to start: ${error.message}`;
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const logTail = (lines = 30) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };

  return {
    name,
    logFile,
    logTail,
    async waitUntil(probe, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (exit) throw new Error(`${name} ${exit} before it was ready; last log lines:\n${logTail()}`);
        if (await probe().catch(() => false)) return;
        if (Date.now() > deadline) {
          throw new Error(`${name} not ready after ${timeoutMs} ms; last log lines:\n${logTail()}`);
        }
        await sleep(200);
      }
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      await terminate(child, () => exit !== undefined);
    },
  };
}

async function terminate(child: ChildProcess, exited: () => boolean): Promise<void> {
  if (exited()) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  // Bounded: a server that ignores SIGTERM for 10 s is killed outright.
  const killed = await Promise.race([gone.then(() => true), sleep(10_000).then(() => false)]);
  if (!killed) {
    child.kill('SIGKILL');
    await gone;
  }
}
