// `switchyard extproc` as its own process (or process tree, with --workers), as the tests and the extproc.chat
// benchmark run it: the config written to a temp dir, JSON log lines collected, the addresses it listens on read
// from its log.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLI = new URL('../switchyard.ts', import.meta.url).pathname;

export interface ExtProcLogEntry {
  readonly msg?: string;
  readonly address?: string;
  readonly workers?: number[];
  readonly pid?: number;
}

export interface ExtProcProcessOptions {
  /** The configuration file's text (YAML). */
  readonly config: string;
  readonly workers?: number;
  /** Default 127.0.0.1:0. */
  readonly listen?: string;
  /** Serve /metrics and the probes on a free loopback port (default true). */
  readonly http?: boolean;
  /** Added to the process's environment (e.g. settings as SWITCHYARD_EXTPROC_* variables). */
  readonly env?: NodeJS.ProcessEnv;
  /** Node flags for the process (the benchmark passes its own, the image's). */
  readonly execArgv?: readonly string[];
}

export interface ExtProcListening {
  /** Where Envoy would reach the service. */
  readonly address: string;
  /** The workers' process ids (none for a single process). */
  readonly workers: readonly number[];
  /** host:port of /metrics, /livez, /readyz, when served. */
  readonly http: string | undefined;
}

export interface ExtProcProcess {
  readonly child: ChildProcess;
  readonly logs: readonly ExtProcLogEntry[];
  /** Everything written to stderr so far (logs and usage errors). */
  stderr(): string;
  /** Resolves once the service (every worker) listens; rejects if the process exits first. */
  listening(): Promise<ExtProcListening>;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code once the whole tree is down. */
  stop(): Promise<number | null>;
}

export function spawnExtProc(options: ExtProcProcessOptions): ExtProcProcess {
  const dir = mkdtempSync(join(tmpdir(), 'extproc-process-'));
  const configPath = join(dir, 'extproc.yaml');
  writeFileSync(configPath, options.config);
  const workers = options.workers ?? 1;
  const child = spawn(
    process.execPath,
    [
      ...(options.execArgv ?? []),
      CLI,
      'extproc',
      `--listen=${options.listen ?? '127.0.0.1:0'}`,
      `--config=${configPath}`,
      `--workers=${workers}`,
      '--log-level=info',
      ...(options.http === false ? [] : ['--http-address=127.0.0.1:0']),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...options.env } },
  );
  // Should this process end first, the service must not outlive it (workers follow their primary).
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  // 'close', not 'exit': by then everything the process wrote to stderr has been read.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      process.off('exit', orphaned);
      rmSync(dir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const logs: ExtProcLogEntry[] = [];
  let stderr = '';
  const lineAdded: (() => void)[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr += `${line}\n`;
    if (line.startsWith('{')) logs.push(JSON.parse(line) as ExtProcLogEntry);
    for (const notify of lineAdded) notify();
  });

  const listening = (): ExtProcListening | undefined => {
    const entry = logs.find(
      (e) => e.msg === 'switchyard extproc listening' && (workers === 1 || e.workers !== undefined),
    );
    if (entry === undefined) return undefined;
    return {
      address: entry.address!,
      workers: entry.workers ?? [],
      http: logs.find((e) => e.msg === 'extproc http server listening')?.address,
    };
  };
  return {
    child,
    logs,
    stderr: () => stderr,
    listening: () =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = listening();
          if (found !== undefined) resolve(found);
        };
        lineAdded.push(check);
        check();
        void exited.then((code) => reject(new Error(`switchyard extproc exited with ${code}:\n${stderr}`)));
      }),
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
