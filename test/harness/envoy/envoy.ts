// A real Envoy process for tests: provisioned from PyPI, started from a generated bootstrap that points at
// an ADS server, in its own temporary directory with hot restart disabled (no shared memory), so several
// can run at once. stop() always leaves no process behind; the log stays readable for failure messages.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { XdsTlsOptions } from '../../../backends/envoy/bootstrap.ts';
import { provisionEnvoy } from '../../provision/envoy.ts';
import { envoyBootstrap } from './bootstrap.ts';
import { EnvoyAdmin } from './envoy-admin.ts';
import { collectOutputLines } from './output-lines.ts';

export interface EnvoyOptions {
  /** host:port of the ADS server. */
  adsAddress: string;
  nodeId: string;
  cluster?: string;
  /** Delta xDS instead of state-of-the-world (default false). */
  delta?: boolean;
  /** TLS to the ADS server (see the backend's bootstrap). */
  xdsTls?: XdsTlsOptions;
  /** 'live' (default) waits until /ready says LIVE, i.e. the first Listeners and Clusters arrived. */
  waitUntil?: 'started' | 'live';
  logLevel?: 'trace' | 'debug' | 'info' | 'warning' | 'error';
  startTimeoutMs?: number;
}

const LOG_LINES_KEPT = 5_000;
const STOP_GRACE_MS = 5_000;
const running = new Set<ChildProcess>();

// Last resort for a test that forgot stop(): kill synchronously as the worker exits. A worker that is
// killed outright is covered by the parent-death signal set below.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A running Envoy, made by startEnvoy. */
export class Envoy {
  readonly admin: EnvoyAdmin;
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly #logLines: string[];
  readonly #exited: Promise<void>;

  constructor(
    child: ChildProcess,
    admin: EnvoyAdmin,
    dir: string,
    logLines: string[],
    exited: Promise<void>,
  ) {
    this.#child = child;
    this.admin = admin;
    this.pid = child.pid!;
    this.#dir = dir;
    this.#logLines = logLines;
    this.#exited = exited;
  }

  /** Envoy's log so far (at most the last few thousand lines, or the last `lines`), for failure messages. */
  log(lines = LOG_LINES_KEPT): string {
    return this.#logLines.slice(-lines).join('\n');
  }

  get running(): boolean {
    return isRunning(this.#child);
  }

  /** SIGTERM, then SIGKILL after a grace period; removes the temporary directory. Safe to call twice. */
  async stop(): Promise<void> {
    await terminate(this.#child, this.#exited);
    await rm(this.#dir, { recursive: true, force: true });
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (!isRunning(child)) return;
  child.kill('SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false)]);
  if (!graceful) child.kill('SIGKILL');
  await exited;
}

export async function startEnvoy(options: EnvoyOptions): Promise<Envoy> {
  const binary = await provisionEnvoy();
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-envoy-'));
  const bootstrapPath = join(dir, 'bootstrap.json');
  const adminAddressPath = join(dir, 'admin-address');
  const bootstrap = envoyBootstrap({
    adsAddress: options.adsAddress,
    nodeId: options.nodeId,
    cluster: options.cluster ?? 'switchyard-test',
    delta: options.delta ?? false,
    ...(options.xdsTls === undefined ? {} : { tls: options.xdsTls }),
  });
  await writeFile(bootstrapPath, JSON.stringify(bootstrap, null, 2));

  const args = [
    ...['-c', bootstrapPath, '--admin-address-path', adminAddressPath],
    ...['--disable-hot-restart', '--concurrency', '1', '--local-address-ip-version', 'v4'],
    ...['--log-level', options.logLevel ?? 'info', '--drain-time-s', '1'],
  ];
  // setpriv makes the kernel kill Envoy if the test worker dies without running any cleanup.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', binary, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logLines: string[] = [];
  collectOutputLines([child.stdout!, child.stderr!], (line) => {
    logLines.push(line);
    if (logLines.length > LOG_LINES_KEPT) logLines.splice(0, logLines.length - LOG_LINES_KEPT);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
    child.once('error', (error) => {
      logLines.push(`spawn failed: ${error.message}`);
      running.delete(child);
      resolve();
    });
  });

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  const fail = async (what: string): Promise<never> => {
    await terminate(child, exited);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`Envoy ${what}; its log ends with:\n${logLines.slice(-60).join('\n')}`);
  };
  const adminAddress = await poll(deadline, child, () =>
    existsSync(adminAddressPath) ? readFileSync(adminAddressPath, 'utf8').trim() || undefined : undefined,
  );
  if (adminAddress === undefined) return fail('did not open its admin listener');
  const envoy = new Envoy(child, new EnvoyAdmin(`http://${adminAddress}`), dir, logLines, exited);
  if ((options.waitUntil ?? 'live') === 'live') {
    const live = await poll(deadline, child, async () =>
      (await envoy.admin.ready().catch(() => '')) === 'LIVE' ? true : undefined,
    );
    if (live === undefined)
      return fail(
        `did not become LIVE (is the ADS server at ${options.adsAddress} serving Listeners and Clusters?)`,
      );
  }
  return envoy;
}

// Polls every 50 ms until the check yields a value, the process exits or the deadline passes.
async function poll<T>(
  deadline: number,
  child: ChildProcess,
  check: () => T | undefined | Promise<T | undefined>,
): Promise<T | undefined> {
  while (Date.now() < deadline && isRunning(child)) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(50);
  }
  return undefined;
}
