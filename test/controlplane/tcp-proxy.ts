// A TCP proxy on loopback for breaking the control plane's connections to the API server on purpose: it can
// destroy every proxied connection (a connection closed mid-stream) or black-hole them (stop forwarding while
// the sockets stay open — a silently stalled connection). TLS passes through untouched, so a kubeconfig whose
// server is `https://127.0.0.1:<proxy port>` still verifies the API server's certificate.
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { parse, stringify } from 'yaml';

export interface TcpProxy {
  /** The loopback port the proxy listens on. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** Destroys every open connection (both sides), returning how many there were. */
  destroyAll(): number;
  /**
   * Stops forwarding: from now on every byte either way is dropped and nothing is closed, on open and new
   * connections alike. A connection that was black-holed stays dead (its TLS stream lost bytes) until closed.
   */
  blackHole(): void;
  /** Forwards again, for connections opened from now on. */
  forward(): void;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
  dead: boolean;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let accepted = 0;
  let blackHoled = false;

  const server = createServer((client) => {
    accepted++;
    const pair: Pair = { client, upstream: undefined, dead: blackHoled };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', drop);
    client.on('close', drop);
    if (pair.dead) {
      // Swallow whatever the client sends; never answer.
      client.on('data', () => {});
      return;
    }
    const upstream = createConnection({ host: target.host, port: target.port });
    pair.upstream = upstream;
    upstream.on('error', drop);
    upstream.on('close', drop);
    client.on('data', (chunk: Buffer) => {
      if (!pair.dead && !upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (!pair.dead && !client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');

  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    destroyAll: () => {
      const count = pairs.size;
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      return count;
    },
    blackHole: () => {
      blackHoled = true;
      for (const pair of pairs) {
        pair.dead = true;
        // Keep reading (and dropping) so neither side sees back-pressure instead of silence.
        pair.client.resume();
        pair.upstream?.resume();
      }
    },
    forward: () => {
      blackHoled = false;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      pairs.clear();
      await closed;
    },
  };
}

interface Kubeconfig {
  clusters: { cluster: { server: string } }[];
}

/** The address of the (first) cluster's server in a kubeconfig. */
export function kubeconfigServer(kubeconfigPath: string): { host: string; port: number } {
  const [first] = (parse(readFileSync(kubeconfigPath, 'utf8')) as Kubeconfig).clusters;
  if (first === undefined) throw new Error(`${kubeconfigPath} names no cluster`);
  const server = new URL(first.cluster.server);
  return { host: server.hostname, port: Number(server.port) };
}

/**
 * Writes a copy of a kubeconfig whose clusters' server is `https://127.0.0.1:<port>`: the API server's serving
 * certificate is for 127.0.0.1, so TLS through the proxy still verifies.
 */
export function writeKubeconfigThroughProxy(kubeconfigPath: string, copyPath: string, port: number): void {
  const config = parse(readFileSync(kubeconfigPath, 'utf8')) as Kubeconfig;
  for (const { cluster } of config.clusters) cluster.server = `https://127.0.0.1:${port}`;
  writeFileSync(copyPath, stringify(config), { mode: 0o600 });
}
