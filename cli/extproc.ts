import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry, Registry } from 'prom-client';
import { ConfigError } from '../dataplane/extproc/config.ts';
import { loadExtProcConfig, runExtProc, superviseExtProcWorkers } from '../dataplane/extproc/index.ts';
import { HealthServer } from '../runtime/HealthServer.ts';
import { createLogger } from '../runtime/logger.ts';
import type { Command } from './command.ts';
import { parseAddress, UsageError } from './options.ts';

/** `switchyard extproc`: the AI gateway's ext_proc service (see docs/extproc.md). */
export const extprocCommand: Command = {
  name: 'extproc',
  summary: 'run the AI gateway ext_proc service (LLM request translation between provider APIs)',
  usage: 'switchyard extproc --listen <host:port|unix:/path.sock> --config <file>',
  options: {
    listen: {
      kind: 'string',
      default: '127.0.0.1:1063',
      valueLabel: '<host:port|unix:path>',
      description: 'where Envoy reaches the ext_proc gRPC service',
    },
    config: {
      kind: 'string',
      valueLabel: '<file>',
      description: 'backends, routing rules, credentials and token costs (JSON or YAML, see docs/extproc.md)',
    },
    'pool-size': {
      kind: 'integer',
      min: 1,
      max: 100_000,
      default: 1024,
      description: 'stream actors (concurrent requests)',
    },
    'mailbox-capacity': {
      kind: 'integer',
      min: 1,
      max: 1024,
      default: 8,
      description: 'messages queued per stream actor',
    },
    'http-address': {
      kind: 'address',
      valueLabel: '<host:port>',
      description: 'serves /metrics (processing time, streams), /livez and /readyz; off when unset',
    },
    workers: {
      kind: 'integer',
      min: 1,
      max: 64,
      default: 1,
      description:
        'processes sharing the listening socket, one core each (Envoy opens a connection per worker thread)',
    },
    'log-level': {
      kind: 'enum',
      values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      default: 'info',
      description: 'log level (JSON logs on stderr)',
    },
  },
  async run(parsed, io) {
    const values = parsed.values;
    const configPath = values.config as string | undefined;
    if (configPath === undefined) throw new UsageError('--config: required, the service configuration file');
    // The primary of --workers serves the probes; a worker inherits its environment (SWITCHYARD_EXTPROC_HTTP_ADDRESS)
    // but must not bind that address again.
    const httpAddress = cluster.isWorker ? undefined : (values['http-address'] as string | undefined);
    const address = httpAddress === undefined ? undefined : parseAddress(httpAddress, '--http-address');
    const base = createLogger({ level: values['log-level'] as string });
    // A worker of `--workers N` says which one it is, and keeps metrics for the primary to sum.
    const logger = cluster.isWorker ? base.child({ worker: process.pid }) : base;
    const workers = values.workers as number;
    const primary = workers > 1 && cluster.isPrimary;
    const { registry, rendered } = metricsRegistries(primary);
    let ready = false;
    const health =
      address === undefined
        ? undefined
        : new HealthServer({
            host: address.host,
            port: address.port,
            registry: rendered,
            ready: () => ready,
          });
    try {
      if (health !== undefined) {
        const bound = await health.listen().catch((error: NodeJS.ErrnoException) => {
          throw new UsageError(`--http-address: ${error.message}`);
        });
        logger.info({ address: `${bound.address}:${bound.port}` }, 'extproc http server listening');
      }
      if (primary) {
        loadExtProcConfig(configPath); // a bad file is refused here, once, instead of by every worker
        const failure = await superviseExtProcWorkers({
          workers,
          exec: fileURLToPath(new URL('./switchyard.ts', import.meta.url)),
          args: workerArgs(values, configPath),
          logger,
          stopRequested: io.stopRequested,
          readiness: (now) => {
            ready = now;
          },
          onListening: ({ address, pids }) =>
            logger.info({ address, workers: pids }, 'switchyard extproc listening'),
        }).then(
          () => undefined,
          (error: Error) => error.message,
        );
        if (failure !== undefined) {
          logger.error(failure);
          logger.flush();
          return 1;
        }
      } else {
        await runExtProc({
          listen: values.listen as string,
          configPath,
          logger,
          stopRequested: io.stopRequested.then((signal) => {
            ready = false;
            return signal;
          }),
          poolSize: values['pool-size'] as number,
          mailboxCapacity: values['mailbox-capacity'] as number,
          metrics: registry,
          onListening: (server) => {
            ready = true;
            logger.info({ address: server.address }, 'switchyard extproc listening');
          },
        });
      }
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`--config: ${error.message}`);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
        throw new UsageError(`--config: cannot read ${configPath}: ${(error as Error).message}`);
      }
      if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL')
        throw new UsageError(`--listen: ${(error as Error).message}`);
      throw error;
    } finally {
      await health?.close();
    }
    logger.flush();
    return 0;
  },
};

/** Each worker of `--workers N` is a one-process `extproc` with the same settings (and no HTTP server). */
function workerArgs(values: Readonly<Record<string, unknown>>, configPath: string): string[] {
  return [
    'extproc',
    `--listen=${values.listen as string}`,
    `--config=${configPath}`,
    `--pool-size=${values['pool-size'] as number}`,
    `--mailbox-capacity=${values['mailbox-capacity'] as number}`,
    `--log-level=${values['log-level'] as string}`,
  ];
}

/**
 * The registry this process's server records into, and what `/metrics` renders: that registry, or for the
 * primary of `--workers N` the sum of its workers' (a worker answers the primary's requests for its own).
 */
function metricsRegistries(primary: boolean): {
  registry: Registry;
  rendered: { metrics(): Promise<string>; readonly contentType: string };
} {
  const registry = new Registry();
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([registry]);
    new AggregatorRegistry();
  }
  if (!primary) return { registry, rendered: registry };
  const aggregator = new AggregatorRegistry();
  return {
    registry,
    rendered: { metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType },
  };
}
