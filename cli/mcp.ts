import { Registry } from 'prom-client';
import { McpConfigError, mcpTraceSubject, runMcpProxy } from '../dataplane/mcp/index.ts';
import { type Inspector, InspectorAddressError, startInspector } from '../inspector/index.ts';
import { HealthServer } from '../runtime/HealthServer.ts';
import { createLogger } from '../runtime/logger.ts';
import type { Command } from './command.ts';
import { parseAddress, UsageError } from './options.ts';

/** `switchyard mcp`: the MCP proxy serving MCPRoutes (see docs/mcp.md). */
export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'run the MCP proxy (several MCP servers behind one Streamable HTTP endpoint per MCPRoute)',
  usage: 'switchyard mcp --listen <host:port> --config <file>',
  options: {
    listen: {
      kind: 'address',
      default: '127.0.0.1:1064',
      valueLabel: '<host:port>',
      description: 'where Envoy (or a client) reaches the MCP endpoint',
    },
    config: {
      kind: 'string',
      valueLabel: '<file>',
      description:
        'routes, backend MCP servers, tool selection, credentials, client authentication (docs/mcp.md)',
    },
    'session-idle-timeout': {
      kind: 'integer',
      min: 1,
      max: 86_400,
      default: 1800,
      valueLabel: '<seconds>',
      description:
        'a session without requests for this long ends (unless the config sets sessionIdleTimeoutSeconds)',
    },
    'pool-size': {
      kind: 'integer',
      min: 1,
      max: 100_000,
      default: 1024,
      description: 'session actors: client sessions served at once (more are refused with 503)',
    },
    'mailbox-capacity': {
      kind: 'integer',
      min: 1,
      max: 4096,
      default: 64,
      description: 'requests queued per session before the next one waits',
    },
    'http-address': {
      kind: 'address',
      valueLabel: '<host:port>',
      description: 'serves /metrics (tool calls, latencies, sessions), /livez and /readyz; off when unset',
    },
    inspector: {
      kind: 'string',
      default: 'off',
      valueLabel: '<host:port|off>',
      description: "serves the inspector on the proxy's session actors (tool calls in the message flow)",
    },
    'inspector-token': {
      kind: 'string',
      valueLabel: '<token>',
      description: 'bearer token the inspector requires on every request',
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
    if (configPath === undefined) throw new UsageError('--config: required, the proxy configuration file');
    const httpAddress = values['http-address'] as string | undefined;
    const address = httpAddress === undefined ? undefined : parseAddress(httpAddress, '--http-address');
    const inspectorAddress = values.inspector as string;
    if (inspectorAddress !== 'off') parseAddress(inspectorAddress, '--inspector');
    const logger = createLogger({ level: values['log-level'] as string });
    const registry = new Registry();
    let ready = false;
    let inspector: Inspector | undefined;
    const health =
      address === undefined
        ? undefined
        : new HealthServer({ host: address.host, port: address.port, registry, ready: () => ready });
    try {
      if (health !== undefined) {
        const bound = await health.listen().catch((error: NodeJS.ErrnoException) => {
          throw new UsageError(`--http-address: ${error.message}`);
        });
        logger.info({ address: `${bound.address}:${bound.port}` }, 'mcp http server listening');
      }
      await runMcpProxy({
        listen: values.listen as string,
        configPath,
        defaults: { sessionIdleTimeoutSeconds: values['session-idle-timeout'] as number },
        logger,
        stopRequested: io.stopRequested.then((signal) => {
          ready = false;
          return signal;
        }),
        poolSize: values['pool-size'] as number,
        mailboxCapacity: values['mailbox-capacity'] as number,
        metrics: registry,
        onListening: async (proxy) => {
          if (inspectorAddress !== 'off') {
            inspector = await startInspector({
              system: proxy.pool.system,
              address: inspectorAddress,
              subjectOf: mcpTraceSubject,
              ...(values['inspector-token'] === undefined
                ? {}
                : { token: values['inspector-token'] as string }),
            }).catch((error: Error) => {
              if (error instanceof InspectorAddressError)
                throw new UsageError(`--inspector: ${error.message}`);
              throw error;
            });
            logger.info({ url: inspector.url }, 'mcp inspector listening');
          }
          ready = true;
          logger.info({ address: proxy.address }, 'switchyard mcp listening');
        },
      });
    } catch (error) {
      if (error instanceof McpConfigError) throw new UsageError(`--config: ${error.message}`);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')
        throw new UsageError(`--config: cannot read ${configPath}: ${(error as Error).message}`);
      if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL')
        throw new UsageError(`--listen: ${(error as Error).message}`);
      throw error;
    } finally {
      await inspector?.close();
      await health?.close();
    }
    logger.flush();
    return 0;
  },
};
