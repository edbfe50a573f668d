// The global rate limit's real parts for tests: Debian's redis-server and Envoy's rate limit service
// (github.com/envoyproxy/ratelimit, built by test/provision/ratelimit.ts), each a process owned by the test run
// (killed with it), on free loopback ports. The service takes its configuration over xDS from the ADS server
// under test, as in a cluster (node id `ratelimit~<name>`); Redis can be stopped and started again on its port.
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionRateLimit, provisionRedis } from '../../provision/ratelimit.ts';
import { freePort } from '../envoy/free-port.ts';
import { type ManagedProcess, startManagedProcess } from '../kube/managed-process.ts';

const READY_TIMEOUT_MS = 60_000;

/** Resolves true once something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface Redis {
  readonly port: number;
  readonly address: string;
  /** Stops the server (its counters are gone: it keeps nothing on disk). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRedis(): Promise<Redis> {
  const binary = await provisionRedis();
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-redis-'));
  const port = await freePort();
  let process: ManagedProcess | undefined;
  const start = async () => {
    process = startManagedProcess(
      'redis-server',
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      join(dir, 'redis.log'),
    );
    await process.waitUntil(() => accepts(port), READY_TIMEOUT_MS);
  };
  await start();
  return {
    port,
    address: `127.0.0.1:${port}`,
    start,
    async stop() {
      await process?.stop();
      process = undefined;
    },
    async close() {
      await process?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RateLimitService {
  /** host:port of its gRPC port (the controller's --ratelimit-address). */
  readonly address: string;
  /** Its node id at the ADS server. */
  readonly nodeId: string;
  logTail(lines?: number): string;
  close(): Promise<void>;
}

export async function startRateLimitService(options: {
  readonly name: string;
  /** host:port of the ADS server it takes its configuration from. */
  readonly xdsAddress: string;
  readonly redis: Redis;
  /** Its gRPC port, when the caller had to name it before it started (default: a free one). */
  readonly grpcPort?: number;
}): Promise<RateLimitService> {
  const binary = await provisionRateLimit();
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-ratelimit-'));
  const grpcPort = options.grpcPort ?? (await freePort());
  const [httpPort, debugPort] = [await freePort(), await freePort()];
  const nodeId = `ratelimit~${options.name}`;
  const env = {
    USE_STATSD: 'false',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(httpPort),
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(grpcPort),
    DEBUG_HOST: '127.0.0.1',
    DEBUG_PORT: String(debugPort),
    REDIS_SOCKET_TYPE: 'tcp',
    REDIS_URL: options.redis.address,
    // One connection: once it works again after Redis comes back, every request counts (a larger pool finds its
    // broken connections one request at a time).
    REDIS_POOL_SIZE: '1',
    // A Redis that is gone is an error at once, not after the 10 s default.
    REDIS_TIMEOUT: '1s',
    CONFIG_TYPE: 'GRPC_XDS_SOTW',
    CONFIG_GRPC_XDS_SERVER_URL: options.xdsAddress,
    CONFIG_GRPC_XDS_NODE_ID: nodeId,
    FORCE_START_WITHOUT_INITIAL_CONFIG: 'true',
    XDS_CLIENT_BACKOFF_INITIAL_INTERVAL: '1s',
  };
  const process = startManagedProcess(
    `ratelimit ${options.name}`,
    'env',
    [...Object.entries(env).map(([key, value]) => `${key}=${value}`), binary],
    join(dir, 'ratelimit.log'),
  );
  await process.waitUntil(() => accepts(grpcPort), READY_TIMEOUT_MS);
  return {
    address: `127.0.0.1:${grpcPort}`,
    nodeId,
    logTail: (lines) => process.logTail(lines),
    async close() {
      await process.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
