import { ConfigError } from '../dataplane/extproc/config.ts';
import { runExtProc } from '../dataplane/extproc/index.ts';
import { createLogger } from '../runtime/logger.ts';
import type { Command } from './command.ts';
import { UsageError } from './options.ts';

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
    const logger = createLogger({ level: values['log-level'] as string });
    try {
      await runExtProc({
        listen: values.listen as string,
        configPath,
        logger,
        stopRequested: io.stopRequested,
        poolSize: values['pool-size'] as number,
        mailboxCapacity: values['mailbox-capacity'] as number,
        onListening: (server) => logger.info({ address: server.address }, 'switchyard extproc listening'),
      });
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`--config: ${error.message}`);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
        throw new UsageError(`--config: cannot read ${configPath}: ${(error as Error).message}`);
      }
      throw error;
    }
    logger.flush();
    return 0;
  },
};
