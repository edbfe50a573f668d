// ClientTrafficPolicy's connection, timeout, HTTP/1, HTTP/2, keepalive and ALPN settings end to end in standalone
// mode: the controller reads the manifests (one Gateway, a listener per setting, each with its policy by
// sectionName) and programs a real Envoy; the tests look at what a client sees — an idle connection closed, a
// slow request answered 408, a connection over the limit closed, a body over the buffer limit refused with 413,
// HTTP/1.0 answered (and routed by a default host when it names none), header case and trailers carried both
// ways, the HTTP/2 SETTINGS Envoy announces, the keepalive timer on Envoy's end of a connection, the protocol ALPN
// settles on — against a listener without a policy, which does none of it.
import { createServer, request as httpRequestRaw, type Server } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlPlane } from '../../cli/control-plane.ts';
import { type HeaderProcessor, startHeaderProcessor } from '../harness/auth/index.ts';
import {
  createTestCertificates,
  type EchoServer,
  startHttpEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { eventually } from '../harness/eventually.ts';
import {
  type FilesModeEnvoy,
  GATEWAY_CLASS_MANIFEST,
  indentYaml,
  policyCondition,
  startManifestEnvoy,
} from './files-mode-envoy.ts';
import { httpRequest } from './http-client.ts';
import { completeResponse, rawConnect, serverSocketTimer, statusOf } from './raw-http.ts';

/** Each listener and the ClientTrafficPolicy spec on it (none on `plain`). */
const LISTENERS = {
  plain: undefined,
  idle: 'timeout: { http: { idleTimeout: 1s } }',
  slowBody: 'timeout: { http: { requestReceivedTimeout: 1s } }',
  slowHeaders: 'timeout: { http: { requestHeadersReceivedTimeout: 1s } }',
  quietStream: 'timeout: { http: { streamIdleTimeout: 1s } }',
  limited: 'connection: { connectionLimit: { value: 1 } }',
  oneShot: 'connection: { connectionLimit: { maxRequestsPerConnection: 1 } }',
  buffered: 'connection: { bufferLimit: 4Ki }',
  legacy: 'http1: { http10: {}, enableTrailers: true, preserveHeaderCase: true }',
  // The default host of an HTTP/1.0 request without one: the listener's hostname; the one route hostname; none.
  defaultNamed: 'http1: { http10: { useDefaultHost: true } }',
  defaultRoute: 'http1: { http10: { useDefaultHost: true } }',
  defaultNone: 'http1: { http10: { useDefaultHost: true } }',
  h2: 'http2: { maxConcurrentStreams: 7, initialStreamWindowSize: 128Ki, initialConnectionWindowSize: 2Mi }',
  h2Partial: 'http2: { maxConcurrentStreams: 9 }',
  h2TerminateStream: 'http2: { onInvalidMessage: TerminateStream }',
  h2TerminateConnection: 'http2: { onInvalidMessage: TerminateConnection }',
  keepalive: 'tcpKeepalive: { idleTime: 45s, interval: 5s, probes: 3 }',
  tlsDefault: undefined,
  tlsHttp1: 'tls: { alpnProtocols: [http/1.1] }',
  tlsNoAlpn: 'tls: { alpnProtocols: [] }',
} as const;
type ListenerName = keyof typeof LISTENERS;
/** Listeners with a hostname (the others have none). */
const HOSTNAMES: Partial<Record<ListenerName, string>> = { defaultNamed: 'named.example.com' };
/** Policies the controller refuses (the rest are Accepted). */
const REFUSED: readonly ListenerName[] = ['defaultNone'];
const sectionOf = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

interface Backends {
  readonly echo: number;
  readonly raw: number;
  readonly processor: number;
}

function manifests(
  ports: Record<ListenerName, number>,
  backends: Backends,
  server: TestCertificates,
): string {
  const listeners = (Object.keys(LISTENERS) as ListenerName[]).map((name) =>
    name.startsWith('tls')
      ? `    - { name: ${sectionOf(name)}, protocol: HTTPS, port: ${ports[name]}, tls: { certificateRefs: [{ name: edge-tls }] } }`
      : `    - { name: ${sectionOf(name)}, protocol: HTTP, port: ${ports[name]}${HOSTNAMES[name] === undefined ? '' : `, hostname: ${HOSTNAMES[name]}`} }`,
  );
  const policies = (Object.entries(LISTENERS) as [ListenerName, string | undefined][]).flatMap(
    ([name, spec]) =>
      spec === undefined
        ? []
        : [
            `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: { name: ${sectionOf(name)}, namespace: apps }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: edge, sectionName: ${sectionOf(name)} }]
  ${spec}`,
          ],
  );
  const backend = (name: string, port: number, extra = '') =>
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: ${name}, namespace: apps }
spec: { endpoints: [{ ip: { address: 127.0.0.1, port: ${port} } }]${extra} }`;
  const route = (name: string, sections: readonly ListenerName[], to: string, path = '/', hostnames = '[]') =>
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: apps }
spec:
  parentRefs: [${sections.map((s) => `{ name: edge, sectionName: ${sectionOf(s)} }`).join(', ')}]
  hostnames: ${hostnames}
  rules: [{ matches: [{ path: { type: PathPrefix, value: ${path} } }], backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${to} }] }]`;
  const all = Object.keys(LISTENERS) as ListenerName[];
  return [
    GATEWAY_CLASS_MANIFEST,
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: apps }
spec:
  gatewayClassName: switchyard
  listeners:
${listeners.join('\n')}`,
    `apiVersion: v1
kind: Secret
metadata: { name: edge-tls, namespace: apps }
type: kubernetes.io/tls
stringData:
  tls.crt: |
${indentYaml(server.cert, 4)}
  tls.key: |
${indentYaml(server.key, 4)}`,
    ...policies,
    backend('echo', backends.echo),
    backend('raw', backends.raw),
    backend('processor', backends.processor, ', appProtocols: [gateway.envoyproxy.io/h2c]'),
    route(
      'app',
      all.filter((name) => name !== 'buffered'),
      'echo',
    ),
    route('raw', ['plain', 'legacy'], 'raw', '/raw'),
    route('route-host', ['defaultRoute'], 'raw', '/raw', '[route.example.com]'),
    route('buffered', ['buffered'], 'echo'),
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: buffered, namespace: apps }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: buffered }]
  extProc:
    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: processor }]
      processingMode: { request: { body: Buffered } }`,
  ].join('\n---\n');
}

/** An HTTP/1.1 backend answering with the request's header names as they came on the wire and its trailers. */
interface RawBackend {
  readonly port: number;
  readonly server: Server;
}

async function startRawBackend(): Promise<RawBackend> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, [
        ['Content-Type', 'application/json'],
        ['X-Backend-Case', 'Kept'],
        ['Trailer', 'X-Backend-Trailer'],
      ]);
      response.addTrailers({ 'X-Backend-Trailer': 'done' });
      response.end(
        JSON.stringify({
          rawHeaders: request.rawHeaders,
          trailers: request.trailers,
          version: request.httpVersion,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

let running: FilesModeEnvoy | undefined;
let plane: ControlPlane;
let echo: EchoServer;
let raw: RawBackend;
let processor: HeaderProcessor;
let server: TestCertificates;
let ports: Record<ListenerName, number>;

beforeAll(async () => {
  server = await createTestCertificates(['edge.example.com']);
  [echo, raw, processor] = await Promise.all([
    startHttpEcho('app'),
    startRawBackend(),
    startHeaderProcessor('proc'),
  ]);
  const names = Object.keys(LISTENERS) as ListenerName[];
  const free = await Promise.all(names.map(() => freePort()));
  ports = Object.fromEntries(names.map((name, i) => [name, free[i]!])) as Record<ListenerName, number>;
  running = await startManifestEnvoy(
    manifests(ports, { echo: echo.port, raw: raw.port, processor: processor.port }, server),
    'client-traffic',
    { port: ports.plain, path: '/', status: 200 },
  );
  ({ plane } = running);
  // Every listener came in the same listener update; each is served once its routes are.
  await eventually('every listener to answer', async () => {
    for (const name of names.filter((n) => !n.startsWith('tls'))) {
      const host = HOSTNAMES[name];
      if ((await httpRequest(ports[name], '/', host === undefined ? {} : { host })).status !== 200)
        return undefined;
    }
    return true;
  });
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all([echo?.close(), processor?.close()]);
  raw?.server.closeAllConnections();
  raw?.server.close();
});

const GET = 'GET / HTTP/1.1\r\nHost: edge.example.com\r\n\r\n';

describe('ClientTrafficPolicy settings through the controller and Envoy', () => {
  test('every policy is Accepted on its listener', () => {
    for (const [name, spec] of Object.entries(LISTENERS)) {
      if (spec === undefined || REFUSED.includes(name as ListenerName)) continue;
      const accepted = policyCondition(plane, 'ClientTrafficPolicy', 'apps', sectionOf(name));
      expect([name, accepted?.status, accepted?.message]).toEqual([name, 'True', expect.anything()]);
    }
  });

  test('idleTimeout: a connection without requests is closed by Envoy', async () => {
    const connection = await rawConnect(ports.idle);
    connection.socket.write(GET);
    expect(statusOf(await connection.until(completeResponse))).toBe(200);
    await connection.closed();
  });

  test('requestReceivedTimeout: a request whose body never completes is answered 408', async () => {
    const connection = await rawConnect(ports.slowBody);
    connection.socket.write(
      'POST / HTTP/1.1\r\nHost: edge.example.com\r\nContent-Length: 100\r\n\r\nonly-some',
    );
    expect(statusOf(await connection.until(completeResponse))).toBe(408);
    connection.end();
    // Without the policy, the same request is still waiting for its body when the complete one is sent.
    const plain = await rawConnect(ports.plain);
    plain.socket.write('POST / HTTP/1.1\r\nHost: edge.example.com\r\nContent-Length: 10\r\n\r\nonly-');
    plain.socket.write('some!');
    expect(statusOf(await plain.until(completeResponse))).toBe(200);
    plain.end();
  });

  test('streamIdleTimeout: a request that goes quiet half way is answered 408', async () => {
    const before = echo.seen.length;
    const connection = await rawConnect(ports.quietStream);
    connection.socket.write('POST / HTTP/1.1\r\nHost: edge.example.com\r\nContent-Length: 100\r\n\r\nsome');
    expect(statusOf(await connection.until(completeResponse))).toBe(408);
    connection.end();
    expect(echo.seen.length).toBe(before);
  });

  test('requestHeadersReceivedTimeout: headers that never end get no request through', async () => {
    const before = echo.seen.length;
    const connection = await rawConnect(ports.slowHeaders);
    connection.socket.write('GET / HTTP/1.1\r\nHost: edge.example.com\r\nX-Slow: yes\r\n');
    await connection.closed();
    expect(connection.received() === '' || statusOf(connection.received()) === 408).toBe(true);
    expect(echo.seen.length).toBe(before);
  });

  test('connectionLimit: a connection over the limit is closed unanswered; one is let in once the first ends', async () => {
    const first = await rawConnect(ports.limited);
    first.socket.write(GET);
    expect(statusOf(await first.until(completeResponse))).toBe(200);
    const second = await rawConnect(ports.limited);
    second.socket.write(GET);
    await second.closed();
    expect(second.received()).toBe('');
    first.end();
    await eventually('a connection to be let in again', async () => {
      const next = await rawConnect(ports.limited);
      next.socket.write(GET);
      const answered = await next.until(completeResponse).then(statusOf, () => undefined);
      next.end();
      return answered;
    }).then((status) => expect(status).toBe(200));
  });

  test('maxRequestsPerConnection: the answer to the last request closes the connection', async () => {
    const connection = await rawConnect(ports.oneShot);
    connection.socket.write(GET);
    const answer = await connection.until(completeResponse);
    expect([statusOf(answer), /\r\nconnection: close\r\n/i.test(answer)]).toEqual([200, true]);
    await connection.closed();
  });

  test('bufferLimit: a body Envoy must buffer (for an external processor) over the limit is refused with 413', async () => {
    const post = (bytes: number) =>
      httpRequest(ports.buffered, '/', { method: 'POST', body: 'x'.repeat(bytes) });
    expect((await post(1024)).status).toBe(200);
    expect((await post(16 * 1024)).status).toBe(413);
  });

  test('http10: an HTTP/1.0 request is answered (without the policy, 426)', async () => {
    const ask = async (port: number) => {
      const connection = await rawConnect(port);
      connection.socket.write('GET /raw HTTP/1.0\r\nHost: edge.example.com\r\n\r\n');
      const status = statusOf(await connection.until(completeResponse));
      connection.end();
      return status;
    };
    expect(await ask(ports.legacy)).toBe(200);
    expect(await ask(ports.plain)).toBe(426);
  });

  test("http10.useDefaultHost: an HTTP/1.0 request without Host is routed by the listener's hostname, else by its one route hostname", async () => {
    const ask = async (port: number, path: string) => {
      const connection = await rawConnect(port);
      connection.socket.write(`GET ${path} HTTP/1.0\r\n\r\n`);
      const answer = await connection.until(completeResponse);
      connection.end();
      return { status: statusOf(answer), body: answer.slice(answer.indexOf('\r\n\r\n') + 4) };
    };
    // The listener's hostname: the echo backend (route `app`) sees it as the request's host.
    const named = await ask(ports.defaultNamed, '/');
    expect([named.status, JSON.parse(named.body).host]).toEqual([200, 'named.example.com']);
    // No listener hostname: the one route with a hostname (route.example.com, to the raw backend on /raw) is
    // reached, not the catch-all route `app` on the same listener.
    const routed = await ask(ports.defaultRoute, '/raw');
    expect(routed.status).toBe(200);
    const seen = JSON.parse(routed.body) as { rawHeaders: string[]; version: string };
    expect(seen.rawHeaders.map((h) => h.toLowerCase())).toContain('route.example.com');
    // http10 without useDefaultHost: Envoy answers HTTP/1.0 but has no host to route a request without one by.
    expect((await ask(ports.legacy, '/raw')).status).toBe(400);
  });

  test('http10.useDefaultHost without a host to default to: the policy is refused by name and not applied', async () => {
    const refused = policyCondition(plane, 'ClientTrafficPolicy', 'apps', sectionOf('defaultNone'));
    expect(refused).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(refused?.message).toMatch(
      /spec\.http1\.http10\.useDefaultHost: listener default-none .*no default host/,
    );
    const connection = await rawConnect(ports.defaultNone);
    connection.socket.write('GET / HTTP/1.0\r\nHost: edge.example.com\r\n\r\n');
    expect(statusOf(await connection.until(completeResponse))).toBe(426);
    connection.end();
  });

  test('preserveHeaderCase and enableTrailers: header names keep their case and trailers pass, both ways', async () => {
    const legacy = await exchange(ports.legacy);
    expect(legacy.seen.rawHeaders).toContain('X-Mixed-Case');
    expect(legacy.seen.trailers).toEqual({ 'x-client-trailer': 'sent' });
    expect(legacy.rawHeaders).toContain('X-Backend-Case');
    expect(legacy.trailers).toEqual({ 'x-backend-trailer': 'done' });
    const plain = await exchange(ports.plain);
    expect(plain.seen.rawHeaders).not.toContain('X-Mixed-Case');
    expect(plain.seen.rawHeaders).toContain('x-mixed-case');
    expect(plain.seen.trailers).toEqual({});
    expect(plain.rawHeaders).not.toContain('X-Backend-Case');
    expect(plain.trailers).toEqual({});
  });

  test('http2: Envoy announces the configured SETTINGS and connection window; unset ones take the API defaults', async () => {
    const full = await http2Settings(ports.h2);
    expect(full).toMatchObject({ maxConcurrentStreams: 7, initialWindowSize: 128 * 1024 });
    expect(full.connectionWindow).toBe(2 * 1024 * 1024);
    // Envoy Gateway's defaults for what the policy leaves out: 64 KiB per stream, 1 MiB per connection.
    const partial = await http2Settings(ports.h2Partial);
    expect(partial).toMatchObject({ maxConcurrentStreams: 9, initialWindowSize: 64 * 1024 });
    expect(partial.connectionWindow).toBe(1024 * 1024);
  });

  test('http2.onInvalidMessage: an invalid message resets only its stream with TerminateStream, else ends the connection', async () => {
    // Stream 1 carries a header value with a newline (forbidden in HTTP/2), stream 3 is a good request.
    const exchange = async (port: number) => {
      const connection = await rawConnect(port);
      connection.socket.write(Buffer.concat([H2_PREFACE, h2Frame(H2.SETTINGS, 0, 0, Buffer.alloc(0))]));
      // The connection is up (Envoy's SETTINGS came) before the requests go.
      await connection.until((r) => h2Frames(r).some((f) => f.type === H2.SETTINGS));
      connection.socket.write(
        Buffer.concat([
          h2Frame(H2.SETTINGS, 0x1, 0, Buffer.alloc(0)),
          h2Request(1, [['x-bad', 'line\nbreak']]),
          h2Request(3, []),
        ]),
      );
      return connection;
    };
    const streamOnly = await exchange(ports.h2TerminateStream);
    const answered = (frames: H2Frame[]) =>
      frames.some((f) => f.type === H2.HEADERS && f.stream === 3) ? frames : undefined;
    const frames = h2Frames(await streamOnly.until((r) => answered(h2Frames(r)) !== undefined));
    expect(frames.filter((f) => f.type === H2.RST_STREAM).map((f) => f.stream)).toEqual([1]);
    expect(frames.some((f) => f.type === H2.GOAWAY)).toBe(false);
    expect(frames.find((f) => f.type === H2.HEADERS && f.stream === 3)?.payload[0]).toBe(0x88); // :status 200
    streamOnly.end();
    for (const port of [ports.h2TerminateConnection, ports.h2Partial]) {
      const whole = await exchange(port);
      await whole.closed();
      const closing = h2Frames(whole.received());
      // Envoy drops the connection (it sends no GOAWAY: the codec error ends the session): neither stream is
      // answered or reset on its own.
      expect(
        closing.filter((f) => f.type === H2.HEADERS || f.type === H2.RST_STREAM).map((f) => f.stream),
      ).toEqual([]);
    }
  });

  test("tcpKeepalive: Envoy's end of a connection runs a keepalive timer (not without the policy), as configured", async () => {
    const timerOn = async (port: number) => {
      const connection = await rawConnect(port);
      connection.socket.write(GET);
      expect(statusOf(await connection.until(completeResponse))).toBe(200);
      const timer = await serverSocketTimer(port, connection.socket.localPort ?? 0);
      connection.end();
      return timer;
    };
    expect(await timerOn(ports.keepalive)).toBe(2);
    expect(await timerOn(ports.plain)).toBe(0);
    const dump = JSON.stringify(await running!.envoy.admin.configDump('dynamic_listeners'));
    const listener = JSON.parse(dump).configs.find(
      (c: { active_state?: { listener?: { name?: string } } }) =>
        c.active_state?.listener?.name?.endsWith(`:${ports.keepalive}`) ||
        JSON.stringify(c).includes(`"port_value":${ports.keepalive}`),
    );
    const options = listener?.active_state?.listener?.socket_options ?? [];
    expect(options.map((o: { name: string; int_value: string }) => [o.name, o.int_value])).toEqual([
      ['9', '1'],
      ['4', '45'],
      ['5', '5'],
      ['6', '3'],
    ]);
  });

  test('alpnProtocols: ALPN settles on what the policy allows (h2 by default, none when empty)', async () => {
    expect(await negotiated(ports.tlsDefault)).toBe('h2');
    expect(await negotiated(ports.tlsHttp1)).toBe('http/1.1');
    expect(await negotiated(ports.tlsNoAlpn)).toBe(false);
  });
});

interface Exchanged {
  readonly seen: { rawHeaders: string[]; trailers: Record<string, string> };
  readonly rawHeaders: string[];
  readonly trailers: Record<string, string | undefined>;
}

/** A chunked POST to /raw with a mixed-case header and a trailer; what the backend saw and what came back. */
function exchange(port: number): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    const req = httpRequestRaw(
      {
        host: '127.0.0.1',
        port,
        path: '/raw',
        method: 'POST',
        agent: false,
        timeout: 10_000,
        headers: { Host: 'edge.example.com', 'X-Mixed-Case': 'yes', Trailer: 'X-Client-Trailer' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ seen: JSON.parse(body), rawHeaders: res.rawHeaders, trailers: { ...res.trailers } }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.write('a body');
    req.addTrailers({ 'X-Client-Trailer': 'sent' });
    req.end();
  });
}

/** The SETTINGS Envoy announces over cleartext HTTP/2, and its connection window after one request. */
async function http2Settings(
  port: number,
): Promise<{ maxConcurrentStreams?: number; initialWindowSize?: number; connectionWindow?: number }> {
  const session = http2Connect(`http://127.0.0.1:${port}`);
  try {
    const settings = await new Promise<{ maxConcurrentStreams?: number; initialWindowSize?: number }>(
      (resolve, reject) => {
        session.once('remoteSettings', resolve);
        session.once('error', reject);
      },
    );
    await new Promise<void>((resolve, reject) => {
      const stream = session.request({ ':path': '/', ':authority': 'edge.example.com' });
      stream.on('error', reject);
      stream.resume();
      stream.on('end', resolve);
    });
    return {
      maxConcurrentStreams: settings.maxConcurrentStreams,
      initialWindowSize: settings.initialWindowSize,
      connectionWindow: session.state.remoteWindowSize,
    };
  } finally {
    session.destroy();
  }
}

/** The protocol ALPN settles on with a client offering h2 and http/1.1 (false: none). */
function negotiated(port: number): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: 'edge.example.com',
      ca: server.caCert,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    socket.once('secureConnect', () => {
      resolve(socket.alpnProtocol ?? false);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const H2 = { HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, GOAWAY: 0x7 } as const;
const END_STREAM_AND_HEADERS = 0x5;

interface H2Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

function h2Frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/**
 * A GET / on `stream` as one HEADERS frame, HPACK-encoded by hand (node:http2 refuses to send invalid headers):
 * :method GET, :scheme http, :path / from the static table, :authority and `extra` as literals (no Huffman).
 */
function h2Request(stream: number, extra: readonly (readonly [string, string])[]): Buffer {
  const text = (value: string) => Buffer.concat([Buffer.from([value.length]), Buffer.from(value, 'latin1')]);
  const block = Buffer.concat([
    Buffer.from([0x82, 0x86, 0x84, 0x01]),
    text('edge.example.com'),
    ...extra.map(([name, value]) => Buffer.concat([Buffer.from([0x00]), text(name), text(value)])),
  ]);
  return h2Frame(H2.HEADERS, END_STREAM_AND_HEADERS, stream, block);
}

/** The whole frames in what a cleartext HTTP/2 server sent. */
function h2Frames(received: string): H2Frame[] {
  const bytes = Buffer.from(received, 'latin1');
  const frames: H2Frame[] = [];
  for (let at = 0; at + 9 <= bytes.length; ) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    frames.push({
      type: bytes.readUInt8(at + 3),
      flags: bytes.readUInt8(at + 4),
      stream: bytes.readUInt32BE(at + 5) & 0x7fffffff,
      payload: bytes.subarray(at + 9, at + 9 + length),
    });
    at += 9 + length;
  }
  return frames;
}
