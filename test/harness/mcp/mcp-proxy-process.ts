// `switchyard mcp` as its own process, as the tests and the mcp.calls benchmark run it: the config written to a
// temp dir (and rewritable, the proxy reloads it), JSON log lines collected, the addresses it listens on read
// from its log.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processLogs } from '../process-logs.ts';

const CLI = new URL('../../../cli/switchyard.ts', import.meta.url).pathname;

export interface McpLogEntry {
  readonly msg?: string;
  readonly address?: string;
  readonly url?: string;
  readonly [field: string]: unknown;
}

export interface McpProxyProcessOptions {
  /** The configuration file's text (YAML), written to a temp dir; or `configPath`, a file written by someone else. */
  readonly config?: string;
  readonly configPath?: string;
  /** Default 127.0.0.1:0. */
  readonly listen?: string;
  readonly sessionIdleTimeoutSeconds?: number;
  readonly poolSize?: number;
  /** Serve the inspector on a free loopback port. */
  readonly inspector?: boolean;
  readonly execArgv?: readonly string[];
  readonly logLevel?: string;
}

export interface McpProxyListening {
  /** host:port of the MCP endpoint. */
  readonly address: string;
  /** host:port of /metrics, /livez, /readyz. */
  readonly http: string;
  /** The inspector's URL, when served. */
  readonly inspector: string | undefined;
}

export interface McpProxyProcess {
  readonly child: ChildProcess;
  readonly logs: readonly McpLogEntry[];
  readonly configPath: string;
  stderr(): string;
  listening(): Promise<McpProxyListening>;
  /** Resolves once a log line satisfies `match` (already written or still to come). */
  logged(match: (entry: McpLogEntry) => boolean): Promise<McpLogEntry>;
  /** Replaces the configuration file in one step (as a mounted Secret changes). */
  reconfigure(config: string): void;
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function spawnMcpProxy(options: McpProxyProcessOptions): McpProxyProcess {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-proxy-'));
  const configPath = options.configPath ?? join(dir, 'mcp.yaml');
  if (options.configPath === undefined) writeFileSync(configPath, options.config ?? '');
  const child = spawn(
    process.execPath,
    [
      ...(options.execArgv ?? []),
      CLI,
      'mcp',
      `--listen=${options.listen ?? '127.0.0.1:0'}`,
      `--config=${configPath}`,
      '--http-address=127.0.0.1:0',
      `--log-level=${options.logLevel ?? 'info'}`,
      ...(options.poolSize === undefined ? [] : [`--pool-size=${options.poolSize}`]),
      ...(options.sessionIdleTimeoutSeconds === undefined
        ? []
        : [`--session-idle-timeout=${options.sessionIdleTimeoutSeconds}`]),
      ...(options.inspector === true ? ['--inspector=127.0.0.1:0'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      process.off('exit', orphaned);
      rmSync(dir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const { logs, stderr, logged } = processLogs<McpLogEntry>(child, exited, 'switchyard mcp');
  let generation = 0;
  return {
    child,
    logs,
    configPath,
    stderr,
    logged,
    listening: async () => {
      const ready = await logged((entry) => entry.msg === 'switchyard mcp listening');
      const http = logs.find((entry) => entry.msg === 'mcp http server listening');
      const inspector = logs.find((entry) => entry.msg === 'mcp inspector listening');
      return { address: ready.address!, http: http!.address!, inspector: inspector?.url };
    },
    reconfigure(config) {
      const next = join(dir, `.mcp-${++generation}.yaml`);
      writeFileSync(next, config);
      renameSync(next, configPath);
    },
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
