import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ApiResource, FRESH_CONNECTION_MS, KubeClient, WatchStalledError } from './client.ts';

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
  const listening = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.flushHeaders();
    answer(response);
  });
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  const { port } = listening.address() as AddressInfo;
  const kubeconfig = writeKubeconfig(mkdtempSync(join(tmpdir(), 'switchyard-client-')), port, '{token: t}');
  return { client: new KubeClient({ kubeconfig }), watch };
}

/** A kubeconfig in `dir` for an API server stand-in on loopback `port`, authenticating as `user` (YAML flow). */
function writeKubeconfig(dir: string, port: number, user: string): string {
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: ${user}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
  );
  return kubeconfig;
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

describe('KubeClient credentials', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads a rotated service-account token file again once the one it holds is a minute old', async () => {
    const seen: (string | undefined)[] = [];
    const listening = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"resources":[]}');
    });
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const { port } = listening.address() as AddressInfo;
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-client-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'first-token');
    // The user in-cluster config gives a pod: a token file the kubelet replaces before the token expires.
    const kubeconfig = writeKubeconfig(
      dir,
      port,
      `{auth-provider: {name: tokenFile, config: {tokenFile: "${tokenFile}"}}}`,
    );
    vi.useFakeTimers({ toFake: ['Date'] });
    const client = new KubeClient({ kubeconfig });
    await client.discover('', 'v1');
    writeFileSync(tokenFile, 'rotated-token');
    vi.setSystemTime(Date.now() + 30_000);
    await client.discover('', 'v1');
    vi.setSystemTime(Date.now() + 31_000);
    await client.discover('', 'v1');
    expect(seen).toEqual(['Bearer first-token', 'Bearer first-token', 'Bearer rotated-token']);
  });
});

describe('KubeClient connections', () => {
  /** An API server stand-in that answers `{}` and counts connections; `resetSecond` resets a connection's 2nd request. */
  async function countingServer(resetSecond = false) {
    const counts = { connections: 0, requests: 0 };
    const perSocket = new WeakMap<object, number>();
    const listening = createServer((request, response) => {
      counts.requests++;
      const seen = (perSocket.get(request.socket) ?? 0) + 1;
      perSocket.set(request.socket, seen);
      if (resetSecond && seen === 2) {
        request.socket.destroy();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
    listening.on('connection', () => counts.connections++);
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const { port } = listening.address() as AddressInfo;
    const kubeconfig = writeKubeconfig(mkdtempSync(join(tmpdir(), 'switchyard-client-')), port, '{token: t}');
    return { client: new KubeClient({ kubeconfig }), counts };
  }

  it('sends requests one after another over one connection while it is fresh', async () => {
    const { client, counts } = await countingServer();
    for (let i = 0; i < 5; i++) await client.json('GET', '/api/v1');
    expect(counts).toEqual({ connections: 1, requests: 5 });
  });

  it('never reuses a connection idle for longer than FRESH_CONNECTION_MS: a silently dead one would hold the request', async () => {
    const { client, counts } = await countingServer();
    await client.json('GET', '/api/v1');
    // Longer than the freshness bound: the kept connection's idle timer (set before this one) has fired by then.
    await new Promise((resolve) => setTimeout(resolve, FRESH_CONNECTION_MS + 500));
    await client.json('GET', '/api/v1');
    expect(counts).toEqual({ connections: 2, requests: 2 });
  });

  it('sends a request again on a new connection when the kept one is reset under it', async () => {
    const { client, counts } = await countingServer(true);
    await client.json('GET', '/api/v1');
    await expect(client.json('GET', '/api/v1')).resolves.toEqual({});
    expect(counts).toEqual({ connections: 2, requests: 3 });
  });
});
