// BackendTrafficPolicy's slowStart, dns and useClientProtocol end to end in standalone mode: the controller reads
// the manifests and programs a real Envoy. Slow start: Envoy's cluster carries the window on its load-balancing
// policy and traffic flows. useClientProtocol: an HTTP/2 client reaches a backend speaking both over HTTP/2, an
// HTTP/1.1 client over HTTP/1.1 (without the policy, HTTP/1.1 either way). dns: a Backend named `localhost`
// resolved as the policy says — IPv4 reaches the loopback backend, IPv6 finds no address (503) — with the refresh
// settings on Envoy's cluster.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  createServer as createH2cServer,
  type Http2ServerRequest,
  connect as http2Connect,
} from 'node:http2';
import {
  type AddressInfo,
  connect,
  createServer as createTcpServer,
  type Server,
  type Socket,
} from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlPlane } from '../../cli/control-plane.ts';
import { freePort } from '../harness/envoy/index.ts';
import {
  edgeGatewayManifests,
  type FilesModeEnvoy,
  policyCondition,
  startManifestEnvoy,
} from './files-mode-envoy.ts';
import { httpRequest } from './http-client.ts';

/**
 * A cleartext backend speaking HTTP/1.1 and HTTP/2 (prior knowledge) on one port, answering with the version: a
 * connection goes, byte for byte, to an HTTP/2 server when it opens with the HTTP/2 preface, else to an HTTP/1.1
 * one (Node's cleartext HTTP/2 server has no HTTP/1 fallback).
 */
async function startBilingualBackend(): Promise<{ port: number; close(): void }> {
  const answer = (request: IncomingMessage | Http2ServerRequest, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/plain', 'x-backend-version': request.httpVersion });
      response.end(`HTTP/${request.httpVersion}`);
    });
  };
  const http1 = createHttpServer(answer);
  const http2 = createH2cServer(answer as never);
  const sockets = new Set<Socket>();
  const front = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      const target = first.toString('latin1').startsWith('PRI * HTTP/2.0') ? http2 : http1;
      const inner = connect((target.address() as AddressInfo).port, '127.0.0.1');
      sockets.add(inner);
      inner.once('close', () => sockets.delete(inner));
      inner.write(first);
      socket.pipe(inner).pipe(socket);
      inner.on('error', () => socket.destroy());
      socket.on('error', () => inner.destroy());
    });
  });
  const listen = (server: Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await Promise.all([listen(http1), listen(http2), listen(front)]);
  return {
    port: (front.address() as AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      for (const server of [front, http1, http2]) server.close();
    },
  };
}

function manifests(gatewayPort: number, backendPort: number): string {
  const backend = (name: string, endpoint: string) =>
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: ${name}, namespace: apps }
spec: { endpoints: [${endpoint}] }`;
  const ip = `{ ip: { address: 127.0.0.1, port: ${backendPort} } }`;
  const byName = `{ fqdn: { hostname: localhost, port: ${backendPort} } }`;
  const routed = (name: string, to: string, policy?: string) => [
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /${name} } }], backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${to} }] }]`,
    ...(policy === undefined
      ? []
      : [
          `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: ${name}, namespace: apps }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name} }]
  ${policy}`,
        ]),
  ];
  return [
    ...edgeGatewayManifests(gatewayPort),
    backend('slow-start', ip),
    backend('client-protocol', ip),
    backend('fixed-protocol', ip),
    backend('by-ipv4', byName),
    backend('by-ipv6', byName),
    ...routed('slow-start', 'slow-start', 'loadBalancer: { type: RoundRobin, slowStart: { window: 30s } }'),
    ...routed('client-protocol', 'client-protocol', 'useClientProtocol: true'),
    ...routed('fixed-protocol', 'fixed-protocol'),
    ...routed('by-ipv4', 'by-ipv4', 'dns: { lookupFamily: IPv4, dnsRefreshRate: 7s, respectDnsTtl: false }'),
    ...routed('by-ipv6', 'by-ipv6', 'dns: { lookupFamily: IPv6 }'),
  ].join('\n---\n');
}

let running: FilesModeEnvoy | undefined;
let plane: ControlPlane;
let backend: { port: number; close(): void };
let gatewayPort: number;

beforeAll(async () => {
  backend = await startBilingualBackend();
  gatewayPort = await freePort();
  running = await startManifestEnvoy(manifests(gatewayPort, backend.port), 'backend-traffic', {
    port: gatewayPort,
    path: '/by-ipv4',
    status: 200,
  });
  ({ plane } = running);
}, 90_000);

afterAll(async () => {
  await running?.stop();
  backend?.close();
});

/** Envoy's active cluster for the Backend `name` with the route's traffic settings. */
async function clusterFor(name: string): Promise<Record<string, unknown>> {
  const dump = await running!.envoy.admin.configDump('dynamic_active_clusters');
  const clusters = dump.configs.map((c) => (c as unknown as { cluster: { name: string } }).cluster);
  const found = clusters.find((c) => c.name.startsWith(`backend/apps/${name}/traffic/`));
  if (found === undefined)
    throw new Error(`no cluster for ${name}: ${clusters.map((c) => c.name).join(', ')}`);
  return found;
}

/** The HTTP version the backend was spoken to with, for a request over cleartext HTTP/2 (prior knowledge). */
async function overHttp2(path: string): Promise<string | undefined> {
  const session = http2Connect(`http://127.0.0.1:${gatewayPort}`);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':path': path, ':authority': 'edge.example.com' });
      stream.on('response', (headers) => resolve(headers['x-backend-version'] as string | undefined));
      stream.on('error', reject);
      stream.resume();
    });
  } finally {
    session.close();
  }
}

describe('BackendTrafficPolicy connection settings through the controller and Envoy', () => {
  test('every policy is Accepted', () => {
    for (const name of ['slow-start', 'client-protocol', 'by-ipv4', 'by-ipv6']) {
      expect([name, policyCondition(plane, 'BackendTrafficPolicy', 'apps', name)?.status]).toEqual([
        name,
        'True',
      ]);
    }
  });

  test("slowStart: the window is on the cluster's round robin policy, and traffic flows", async () => {
    const cluster = await clusterFor('slow-start');
    expect(cluster).toMatchObject({
      round_robin_lb_config: { slow_start_config: { slow_start_window: '30s' } },
    });
    for (let i = 0; i < 3; i++) expect((await httpRequest(gatewayPort, '/slow-start')).status).toBe(200);
  });

  test("useClientProtocol: the backend is spoken to in the client's HTTP version", async () => {
    expect(await overHttp2('/client-protocol')).toBe('2.0');
    expect((await httpRequest(gatewayPort, '/client-protocol')).headers['x-backend-version']).toBe('1.1');
    // Without it, HTTP/1.1 to the backend whatever the client speaks.
    expect(await overHttp2('/fixed-protocol')).toBe('1.1');
  });

  test('dns: a Backend by name resolves as the lookup family says, with the refresh settings on the cluster', async () => {
    expect((await httpRequest(gatewayPort, '/by-ipv4')).status).toBe(200);
    expect(await clusterFor('by-ipv4')).toMatchObject({
      dns_lookup_family: 'V4_ONLY',
      dns_refresh_rate: '7s',
    });
    expect((await clusterFor('by-ipv4')).respect_dns_ttl).toBeUndefined();
    // localhost has no IPv6 address here: nothing to send to. What the policy leaves out: Envoy Gateway's defaults.
    expect((await httpRequest(gatewayPort, '/by-ipv6')).status).toBe(503);
    expect(await clusterFor('by-ipv6')).toMatchObject({
      dns_lookup_family: 'V6_ONLY',
      dns_refresh_rate: '30s',
      respect_dns_ttl: true,
    });
  });
});
