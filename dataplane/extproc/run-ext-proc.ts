// `switchyard extproc`: load the config, serve ext_proc, reload the config when its file changes (a
// mounted Secret/ConfigMap swaps a symlink, so the folder is watched), stop when asked.
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type ExtProcConfig, loadExtProcConfig } from './config.ts';
import {
  DEFAULT_MAILBOX_CAPACITY,
  DEFAULT_POOL_SIZE,
  type ExtProcServer,
  startExtProcServer,
} from './extproc-server.ts';

export interface RunExtProcOptions {
  /** `host:port` or `unix:/path/to.sock`. */
  readonly listen: string;
  /** The config file (JSON or YAML), see docs/extproc.md. */
  readonly configPath: string;
  readonly logger: Logger;
  /** Resolves when the process should stop (e.g. on SIGTERM). */
  readonly stopRequested: Promise<unknown>;
  readonly poolSize?: number;
  readonly mailboxCapacity?: number;
  /** Where the service's metrics go (none are kept without one). */
  readonly metrics?: Registry;
  /** Called once the server listens (the CLI prints the address; tests read it). */
  readonly onListening?: (server: ExtProcServer) => void;
}

/** Serves until `stopRequested` resolves; rejects at start-up when the config is invalid. */
export async function runExtProc(options: RunExtProcOptions): Promise<void> {
  const { logger } = options;
  let config: ExtProcConfig = loadExtProcConfig(options.configPath);
  const server = await startExtProcServer({
    listen: options.listen,
    config: () => config,
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    mailboxCapacity: options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
    logger,
    metrics: options.metrics,
  });
  const watcher = watchConfig(options.configPath, () => {
    try {
      config = loadExtProcConfig(options.configPath);
      logger.info(
        { configPath: options.configPath, rules: config.rules.length, backends: config.backends.size },
        'ext_proc config reloaded',
      );
    } catch (error) {
      // A bad edit keeps the last good config serving; the message names the field.
      logger.error(
        { configPath: options.configPath, error: (error as Error).message },
        'ext_proc config rejected',
      );
    }
  });
  options.onListening?.(server);
  try {
    await options.stopRequested;
  } finally {
    watcher.close();
    await server.stop();
  }
}

function watchConfig(path: string, changed: () => void): FSWatcher {
  const name = basename(path);
  let pending: NodeJS.Timeout | undefined;
  return watch(dirname(path), (_event, file) => {
    if (file !== null && file !== name && !file.startsWith('..')) return;
    // Editors and kubelet write in several steps: reload once they are done.
    clearTimeout(pending);
    pending = setTimeout(changed, 100);
    pending.unref();
  });
}
