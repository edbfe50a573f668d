import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ApiResource, KubeClient, WatchStalledError } from './client.ts';

const ROUTES: ApiResource = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  kind: 'HTTPRoute',
  plural: 'httproutes',
  namespaced: true,
};

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** An API server stand-in answering one watch: the test writes its events, and ends it or not. */
async function fakeWatchServer(): Promise<{ client: KubeClient; watch: Promise<ServerResponse> }> {
  let answer: (response: ServerResponse) => void = () => {};
  const watch = new Promise<ServerResponse>((resolve) => {
    answer = resolve;
  });
  const client = await fakeServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.flushHeaders();
    answer(response);
  });
  return { client, watch };
}

/** An API server stand-in with this handler, and a client of it. */
async function fakeServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: { requestTimeoutMs?: number } = {},
): Promise<KubeClient> {
  const listening = createServer(handler);
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  const { port } = listening.address() as AddressInfo;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-client-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
  );
  return new KubeClient({ kubeconfig, ...options });
}

const event = (name: string) =>
  `${JSON.stringify({ type: 'ADDED', object: { metadata: { name, resourceVersion: '1' } } })}\n`;

describe('KubeClient.watch', () => {
  it('reports a watch that receives nothing within the idle deadline as stalled', async () => {
    const { client } = await fakeWatchServer();
    const watch = client.watch(ROUTES, '1', { idleTimeoutMs: 200 });
    await expect(watch.next()).rejects.toBeInstanceOf(WatchStalledError);
  });

  it('does not count the time the consumer holds an event (backpressure) as idle', async () => {
    const { client, watch: served } = await fakeWatchServer();
    // The idle deadline runs on fake time, so only the time the test lets pass counts, however loaded the machine.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const watch = client.watch(ROUTES, '1', { idleTimeoutMs: 200 });
      const first = watch.next();
      const response = await served;
      response.write(event('a') + event('b'));
      expect((await first).value).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'a' } } });
      // The consumer is busy for three idle deadlines before it asks for the next event: still a healthy watch.
      vi.advanceTimersByTime(600);
      expect((await watch.next()).value).toMatchObject({ object: { metadata: { name: 'b' } } });
      response.end(event('c'));
      expect((await watch.next()).value).toMatchObject({ object: { metadata: { name: 'c' } } });
      expect((await watch.next()).done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

/**
 * An API server stand-in that answers `{}` to a GET and never answers a watch, counting connections; `blackHole()`
 * makes every connection open so far swallow its requests (a silently dead connection).
 */
async function fakeKeepAliveServer(options: { requestTimeoutMs?: number } = {}) {
  const connections: Socket[] = [];
  const dead = new Set<Socket>();
  const client = await fakeServer((request, response) => {
    if (dead.has(request.socket) || request.url?.includes('watch=1') === true) return;
    response.end('{}');
  }, options);
  server?.on('connection', (socket: Socket) => connections.push(socket));
  return {
    client,
    connections,
    blackHole: () => {
      for (const socket of connections) dead.add(socket);
    },
  };
}

describe('KubeClient connections', () => {
  it('keeps one connection for requests one after another', async () => {
    const { client, connections } = await fakeKeepAliveServer();
    for (let i = 0; i < 3; i++) await client.json('GET', '/api/v1');
    expect(connections.length).toBe(1);
  });

  it('sends a request once more on a new connection when the server closed the kept one under it', async () => {
    const requestsOn = new Map<Socket, number>();
    const client = await fakeServer((request, response) => {
      const seen = (requestsOn.get(request.socket) ?? 0) + 1;
      requestsOn.set(request.socket, seen);
      // The server's idle timeout closing the kept connection just as the second request arrives on it.
      if (seen === 2) request.socket.destroy();
      else response.end('{"ok":true}');
    });
    await client.json('GET', '/api/v1');
    expect(await client.json('GET', '/api/v1')).toEqual({ ok: true });
    expect(requestsOn.size).toBe(2);
  });

  it('uses no kept connection again once a watch is found stalled', async () => {
    // Without dropping them, the request after the stall would wait on a dead kept connection until the test's end.
    const { client, connections, blackHole } = await fakeKeepAliveServer({ requestTimeoutMs: 60_000 });
    await Promise.all([client.json('GET', '/api/v1'), client.json('GET', '/api/v1')]);
    expect(connections.length).toBe(2);
    const watch = client.watch(ROUTES, '1', { idleTimeoutMs: 200 });
    const stalled = watch.next();
    blackHole();
    await expect(stalled).rejects.toBeInstanceOf(WatchStalledError);
    expect(await client.json('GET', '/api/v1')).toEqual({});
    expect(connections.length).toBe(3);
  });

  it('uses no kept connection again once a request passes its deadline', async () => {
    const { client, connections, blackHole } = await fakeKeepAliveServer({ requestTimeoutMs: 300 });
    await Promise.all([client.json('GET', '/api/v1'), client.json('GET', '/api/v1')]);
    expect(connections.length).toBe(2);
    blackHole();
    await expect(client.json('GET', '/api/v1')).rejects.toThrow(/no answer to GET \/api\/v1 within 300 ms/);
    // The other kept connection is as dead: this one goes on a new connection and is answered.
    expect(await client.json('GET', '/api/v1')).toEqual({});
    expect(connections.length).toBe(3);
  });
});
