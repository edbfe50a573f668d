// `switchyard mcp`: load the config, serve the MCP endpoint, reload the config when its file changes (a mounted
// Secret swaps a symlink, so the folder is watched), stop when asked.
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TraceBus } from '../../runtime/index.ts';
import { loadMcpProxyConfig, type McpProxyConfig, type McpProxyDefaults } from './config.ts';
import { type McpProxy, startMcpProxy } from './mcp-proxy.ts';
import { registerMcpMetrics } from './metrics.ts';

export interface RunMcpProxyOptions {
  readonly listen: string;
  readonly configPath: string;
  /** What the document may leave out (`--session-idle-timeout`). */
  readonly defaults?: McpProxyDefaults;
  readonly logger: Logger;
  /** Resolves when the process should stop (e.g. on SIGTERM). */
  readonly stopRequested: Promise<unknown>;
  readonly poolSize?: number;
  readonly mailboxCapacity?: number;
  readonly metrics?: Registry;
  readonly trace?: TraceBus;
  /** Called once the proxy listens (the CLI starts the inspector on its actor system; tests read the port). */
  readonly onListening?: (proxy: McpProxy) => void | Promise<void>;
}

/** Serves until `stopRequested` resolves; rejects at start-up when the config is invalid. */
export async function runMcpProxy(options: RunMcpProxyOptions): Promise<void> {
  const { logger, configPath } = options;
  let config: McpProxyConfig = loadMcpProxyConfig(configPath, options.defaults);
  let proxy: McpProxy | undefined;
  const proxyStarted = startMcpProxy({
    listen: options.listen,
    config: () => config,
    logger,
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    ...(options.mailboxCapacity === undefined ? {} : { mailboxCapacity: options.mailboxCapacity }),
    ...(options.metrics === undefined
      ? {}
      : { metrics: registerMcpMetrics(options.metrics, () => proxy?.sessions() ?? 0) }),
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  proxy = await proxyStarted;
  const watcher = watchFolderOf(configPath, () => {
    try {
      config = loadMcpProxyConfig(configPath, options.defaults);
      logger.info({ configPath, routes: config.routes.size }, 'mcp proxy config reloaded');
      proxy?.reconfigured();
    } catch (error) {
      // A bad edit keeps the last good config serving; the message names the field.
      logger.error({ configPath, error: (error as Error).message }, 'mcp proxy config rejected');
    }
  });
  try {
    await options.onListening?.(proxy);
    await options.stopRequested;
  } finally {
    watcher.close();
    await proxy.stop();
  }
}

/** Calls `changed` once a burst of writes to the file (or the folder's `..data` symlink swap) settles. */
function watchFolderOf(path: string, changed: () => void): FSWatcher {
  const name = basename(path);
  let settle: NodeJS.Timeout | undefined;
  return watch(dirname(path), (_event, file) => {
    const ours = file === null || file === name || file.startsWith('..');
    if (!ours) return;
    clearTimeout(settle);
    settle = setTimeout(changed, 100).unref();
  });
}
