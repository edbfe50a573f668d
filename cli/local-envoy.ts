// The local data plane's process ports: one Envoy per Gateway on this machine, bootstrapped to our xDS server.
// An exit nobody asked for is reported to the supervising actor, which restarts it with backoff.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import type { StartProxyRequest } from '../actors/gateway-deployer/local-data-plane.ts';
import { envoyBootstrap } from '../backends/envoy/index.ts';
import { envoyProcessArgs } from '../backends/envoy/process-args.ts';
import { formatResourceKey, type ResourceKey } from '../model/resources/resource-key.ts';

export interface LocalEnvoyPorts {
  readonly 'start-proxy': (request: StartProxyRequest) => Promise<{ pid: number }>;
  readonly 'stop-proxy': (request: { gateway: ResourceKey }) => Promise<void>;
  /** Stops every proxy (controller shutdown). */
  close(): void;
}

export function localEnvoyPorts(options: {
  readonly binary: string;
  readonly xdsAddress: string;
  readonly logger: Logger;
  readonly exited: (gateway: ResourceKey, code: number | null) => void;
}): LocalEnvoyPorts {
  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-local-envoy-'));
  const running = new Map<string, ChildProcess>();
  /** Proxies asked to stop and not yet gone: a new one for the same Gateway waits (it binds the same ports). */
  const stopping = new Map<string, Promise<void>>();
  return {
    'start-proxy': async ({ gateway, process }) => {
      await stopping.get(formatResourceKey(gateway));
      return new Promise((resolve, reject) => {
        const id = formatResourceKey(gateway);
        const file = join(workDir, `${gateway.namespace}-${gateway.name}.yaml`);
        // Admin on an ephemeral port: several local proxies never collide on it.
        writeFileSync(
          file,
          stringify(envoyBootstrap({ gateway, xdsAddress: options.xdsAddress, adminPort: 0 }), {
            aliasDuplicateObjects: false,
          }),
        );
        // Without an EnvoyProxy, errors only: its warnings at start and stop (no connection limit, xDS stream closed)
        // are not the user's business, and what it rejects comes back as a NACK in the Gateway's status. With one,
        // its levels, threads and extra arguments.
        const args = ['-c', file, '--disable-hot-restart', ...envoyProcessArgs(process, 'error')];
        // stdout is the access logs' /dev/stdout (an EnvoyProxy's default sink), stderr Envoy's own log.
        const child = spawn(options.binary, args, { stdio: ['ignore', 'inherit', 'inherit'] });
        child.once('error', (error) => {
          // Retried with backoff by the supervising actor; said here, or nothing would say why no Envoy runs.
          options.logger.warn(
            { gateway: `${gateway.namespace}/${gateway.name}`, binary: options.binary, err: error.message },
            'local envoy could not start',
          );
          reject(error);
        });
        child.once('spawn', () => {
          running.set(id, child);
          options.logger.info(
            { gateway: `${gateway.namespace}/${gateway.name}`, pid: child.pid },
            'local envoy started',
          );
          resolve({ pid: child.pid ?? 0 });
        });
        child.once('exit', (code) => {
          // Only an exit of the process still on duty is news; a stopped or replaced one is not.
          if (running.get(id) !== child) return;
          running.delete(id);
          options.logger.warn(
            { gateway: `${gateway.namespace}/${gateway.name}`, code },
            'local envoy exited',
          );
          options.exited(gateway, code);
        });
      });
    },
    'stop-proxy': async ({ gateway }) => {
      const id = formatResourceKey(gateway);
      const child = running.get(id);
      running.delete(id);
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      stopping.set(id, gone);
      void gone.then(() => {
        if (stopping.get(id) === gone) stopping.delete(id);
      });
      child.kill('SIGTERM');
    },
    close: () => {
      for (const child of running.values()) child.kill('SIGTERM');
      running.clear();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
