// `controller --local-envoy`'s process ports with a Gateway's EnvoyProxy settings, on a real Envoy: the command
// line carries the EnvoyProxy's log levels, worker threads and extra arguments and Envoy starts with it (it dials
// the xDS address); new settings replace the process, the new one started only once the old one is gone.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localEnvoyPorts } from '../../cli/local-envoy.ts';
import type { EnvoyProcessIR } from '../../model/ir/envoy-gateway.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { createLogger } from '../../runtime/logger.ts';
import { provisionEnvoy } from '../provision/envoy.ts';

const gateway = resourceKey('gateway.networking.k8s.io', 'Gateway', 'apps', 'edge');

/** A TCP listener standing in for the xDS server: Envoy dialing it proves it started with its command line. */
let xds: Server;
let dials: (() => void)[] = [];
let dialed = 0;

function nextDial(): Promise<void> {
  if (dialed > 0) {
    dialed--;
    return Promise.resolve();
  }
  return new Promise((resolve) => dials.push(resolve));
}

function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

beforeAll(async () => {
  xds = createServer((socket) => {
    socket.destroy();
    const waiter = dials.shift();
    if (waiter === undefined) dialed++;
    else waiter();
  });
  await new Promise<void>((resolve) => xds.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  dials = [];
  await new Promise<void>((resolve) => xds.close(() => resolve()));
});

describe('local Envoy with EnvoyProxy settings', () => {
  test('runs with the log levels, threads and extra arguments, and is replaced when they change', async () => {
    const exits: (number | null)[] = [];
    const ports = localEnvoyPorts({
      binary: await provisionEnvoy(),
      xdsAddress: `127.0.0.1:${(xds.address() as { port: number }).port}`,
      logger: createLogger({ level: 'silent' }),
      exited: (_gateway, code) => exits.push(code),
    });
    try {
      const first: EnvoyProcessIR = {
        logLevel: { default: 'critical', components: { upstream: 'error', router: 'off' } },
        concurrency: 2,
        extraArgs: ['--drain-time-s', '3'],
      };
      const dial = nextDial();
      const started = await ports['start-proxy']({ gateway, process: first });
      expect(commandLine(started.pid).slice(3)).toEqual([
        '--disable-hot-restart',
        '--log-level',
        'critical',
        '--component-log-level',
        'router:off,upstream:error',
        '--concurrency',
        '2',
        '--drain-time-s',
        '3',
      ]);
      await dial;

      // New settings: the old process goes first (it holds the Gateway's ports), then the new one starts.
      await ports['stop-proxy']({ gateway });
      const redial = nextDial();
      const restarted = await ports['start-proxy']({
        gateway,
        process: { logLevel: { default: 'off', components: {} }, extraArgs: [] },
      });
      expect(() => commandLine(started.pid)).toThrow();
      expect(commandLine(restarted.pid).slice(3)).toEqual(['--disable-hot-restart', '--log-level', 'off']);
      await redial;
      // Stopped and replaced on request: neither is reported as an exit of its own.
      expect(exits).toEqual([]);
    } finally {
      ports.close();
    }
  }, 60_000);
});
