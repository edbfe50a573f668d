// `switchyard extproc --workers N`: N processes (node:cluster) share the listening socket, so the service uses
// N cores. Envoy opens a connection per worker thread to the ext_proc cluster and the primary hands incoming
// connections to the processes in turn; each process is a whole ext_proc service (its own actor pool, its own
// config watch). The primary serves nothing itself: it starts the workers, restarts one that dies, and stops
// them all when asked.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

export interface ExtProcWorkersOptions {
  readonly workers: number;
  /** The script each worker runs and its arguments (the CLI passes itself and the same `extproc` flags). */
  readonly exec: string;
  readonly args: readonly string[];
  readonly logger: Logger;
  /** Resolves when the service should stop (e.g. on SIGTERM): the workers get SIGTERM and drain. */
  readonly stopRequested: Promise<unknown>;
  /** Called once every worker listens: the address and the workers' process ids. */
  readonly onListening?: (listening: { address: string; pids: readonly number[] }) => void;
  /** Told when the service becomes ready (every worker listens) and when it stops being so. */
  readonly readiness?: (ready: boolean) => void;
  /** Before a dead worker is replaced (default 1 s; doubled per quick death, up to 30 s). */
  readonly restartDelayMs?: number;
  /** How long stopping waits for the workers' own drain before killing them (default 25 s). */
  readonly stopGraceMs?: number;
}

/**
 * Runs the workers until `stopRequested` resolves and every worker has exited; rejects when a worker fails before
 * the service ever listened.
 */
export async function superviseExtProcWorkers(options: ExtProcWorkersOptions): Promise<void> {
  const { logger } = options;
  const baseDelay = options.restartDelayMs ?? 1_000;
  let stopping = false;
  let restartDelay = baseDelay;
  const live = new Set<Worker>();
  const listening = new Set<Worker>();
  /** Replacements waiting for their delay: they keep the primary alive, and stopping cancels them. */
  const pendingRestarts = new Set<NodeJS.Timeout>();
  let announced = false;
  // A worker that exits before the service ever listened (the port is taken, the address is wrong) would fail
  // the same way again: the service gives up instead of restarting it forever.
  let startFailed!: (failure: string) => void;
  const startFailure = new Promise<string>((resolve) => {
    startFailed = resolve;
  });

  cluster.setupPrimary({ exec: options.exec, args: [...options.args] });

  const start = (): void => {
    const worker = cluster.fork();
    live.add(worker);
    const startedAt = Date.now();
    worker.on('listening', (address) => {
      listening.add(worker);
      if (listening.size === options.workers && !stopping) options.readiness?.(true);
      if (announced) {
        logger.info({ pid: worker.process.pid }, 'ext_proc worker replaced');
        return;
      }
      if (listening.size < options.workers) return;
      announced = true;
      const shown =
        address.addressType === -1 || typeof address.port !== 'number'
          ? `unix:${String(address.address)}`
          : `${address.address ?? '127.0.0.1'}:${address.port}`;
      options.onListening?.({
        address: shown,
        pids: [...listening].map((w) => w.process.pid ?? 0),
      });
    });
    worker.on('exit', (code, signal) => {
      live.delete(worker);
      listening.delete(worker);
      options.readiness?.(false);
      if (stopping) return;
      if (!announced) {
        startFailed(
          `an ext_proc worker exited (${signal ?? `code ${code}`}) before the service listened; its log says why`,
        );
        return;
      }
      // Replacements that die soon after starting wait longer each time (1 s, 2 s, 4 s … 30 s).
      const young = Date.now() - startedAt < 10_000;
      const delay = young ? restartDelay : baseDelay;
      restartDelay = Math.min(delay * 2, 30_000);
      logger.error(
        { pid: worker.process.pid, code, signal, restartInMs: delay },
        'ext_proc worker exited; starting another',
      );
      const timer = setTimeout(() => {
        pendingRestarts.delete(timer);
        start();
      }, delay);
      pendingRestarts.add(timer);
    });
  };

  for (let i = 0; i < options.workers; i++) start();
  const failure = await Promise.race([options.stopRequested.then(() => undefined), startFailure]);
  stopping = true;
  options.readiness?.(false);
  for (const timer of pendingRestarts) clearTimeout(timer);
  const exited = [...live].map(
    (worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())),
  );
  for (const worker of live) worker.process.kill('SIGTERM');
  const grace = setTimeout(() => {
    for (const worker of live) worker.process.kill('SIGKILL');
  }, options.stopGraceMs ?? 25_000);
  grace.unref();
  await Promise.all(exited);
  clearTimeout(grace);
  if (failure !== undefined) throw new Error(failure);
}
