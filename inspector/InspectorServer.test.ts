import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import { ActorSystem } from '../runtime/ActorSystem.ts';
import type { Message } from '../runtime/message.ts';
import { deliverTo, type Outgoing } from '../runtime/outbox.ts';
import { type Inspector, InspectorAddressError, isLoopback, startInspector } from './InspectorServer.ts';
import { TraceBuffer } from './TraceBuffer.ts';

const PLANTED = 'planted-secret-value-7f3a9c';
const IR_SECRET = 'ir-secret-value-51c2';

interface Ping extends Message<'ping'> {
  readonly n: number;
}
interface Pong extends Message<'pong'> {
  readonly n: number;
}

const forwarder = (next: string | undefined) =>
  setup({ types: { events: {} as Ping | Pong, emitted: {} as Outgoing } }).createMachine({
    initial: 'running',
    states: {
      running: {
        tags: ['ready'],
        on: {
          ping:
            next === undefined
              ? {}
              : { actions: emit(({ event }) => deliverTo(next, { type: 'pong', n: event.n })) },
          pong: {},
        },
      },
    },
  });

function pipeline(): ActorSystem {
  const system = new ActorSystem();
  system.spawn({ name: 'source.a', machine: forwarder('sink.b'), mailbox: { capacity: 8 } });
  system.spawn({ name: 'sink.b', machine: forwarder(undefined), mailbox: { capacity: 8 } });
  return system;
}

const resources = () => [
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'edge-tls',
      namespace: 'apps',
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': `{"data":{"tls.key":"${PLANTED}"}}`,
      },
    },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(PLANTED).toString('base64'), 'tls.key': PLANTED },
    stringData: { token: PLANTED },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'edge', namespace: 'apps' },
    spec: { gatewayClassName: 'switchyard' },
    status: { conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted' }] },
  },
];

async function get(base: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { headers });
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
}

/** The first `count` SSE events of a stream (read raw, so the test sees exactly what a browser would). */
function readStream(url: string, count: number, onOpen: () => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    let buffered = '';
    const req = request(url, (response) => {
      onOpen();
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        const parts = buffered.split('\n\n');
        buffered = parts.pop() ?? '';
        for (const part of parts) if (part.includes('event:')) events.push(part);
        if (events.length >= count) {
          req.destroy();
          resolve(events);
        }
      });
    });
    req.on('error', (error) => (events.length >= count ? undefined : reject(error)));
    req.end();
  });
}

let inspector: Inspector | undefined;
let system: ActorSystem | undefined;
afterEach(async () => {
  await inspector?.close();
  await system?.stop();
  inspector = undefined;
  system = undefined;
});

describe('inspector server', () => {
  it('serves actors, flow with cause ids, resources and pages — never Secret data', async () => {
    system = pipeline();
    inspector = await startInspector({
      system,
      address: '127.0.0.1:0',
      resources,
      gateways: () => [
        {
          gateway: { name: 'edge' },
          ir: {
            privateKey: PLANTED,
            // Secret fields of the IR (model/shared/secret-fields.ts), and a Secret's value in a field no table lists.
            policies: {
              security: { oidc: { clientSecret: IR_SECRET }, basicAuth: { credentials: IR_SECRET } },
            },
            headers: [{ key: 'authorization', value: `Bearer ${PLANTED}` }],
          },
        },
      ],
      problems: () => [{ origin: 'files', message: 'a problem', secret: PLANTED }],
    });
    system.start();
    await system.whenReady();
    await system.send<Ping>('source.a', { type: 'ping', n: 1 });
    await system.send<Ping>('source.a', { type: 'ping', n: 2 });
    await new Promise((resolve) => setTimeout(resolve, 20));

    const actors = JSON.parse((await get(inspector.url, '/api/actors')).text);
    expect(actors.tree).toEqual([
      { group: 'source', actors: ['source.a'] },
      { group: 'sink', actors: ['sink.b'] },
    ]);
    expect(actors.actors[0]).toMatchObject({
      name: 'source.a',
      state: 'running',
      ready: true,
      handled: 2,
      mailbox: { depth: 0, capacity: 8, highWaterMark: expect.any(Number) },
      restarts: 0,
    });

    const flow = JSON.parse((await get(inspector.url, '/api/flow')).text).steps as {
      id: string;
      causeId?: string;
      from: string;
      to: string;
      type: string;
    }[];
    expect(flow.map((s) => `${s.from}>${s.to}:${s.type}`).sort()).toEqual([
      'outside>source.a:ping',
      'outside>source.a:ping',
      'source.a>sink.b:pong',
      'source.a>sink.b:pong',
    ]);
    const first = flow[0]!;
    const pong = flow.find((s) => s.causeId === first.id)!;
    expect(pong.type).toBe('pong');
    const caused = JSON.parse((await get(inspector.url, `/api/flow?cause=${first.id}`)).text).steps;
    expect(caused.map((s: { id: string }) => s.id)).toEqual([first.id, pong.id]);
    const filtered = JSON.parse((await get(inspector.url, '/api/flow?type=pong&actor=sink.b')).text).steps;
    expect(filtered).toHaveLength(2);

    const resourcesBody = JSON.parse((await get(inspector.url, '/api/resources')).text);
    expect(resourcesBody.resources[0]).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'edge-tls', namespace: 'apps' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': '[REDACTED]', 'tls.key': '[REDACTED]', token: '[REDACTED]' },
    });

    const bodies: string[] = [];
    for (const path of [
      '/',
      '/app.js',
      '/common.js',
      '/flow-view.js',
      '/dataplane-view.js',
      '/app.css',
      '/api',
      '/api/system',
      '/api/actors',
      '/api/flow',
      '/api/trace',
      '/api/resources',
      '/api/resources?kind=Secret',
      '/api/gateways',
      '/api/problems',
      '/api/replay',
      '/api/replay/records',
    ]) {
      const response = await get(inspector.url, path);
      expect(response.status, path).toBe(200);
      bodies.push(response.text);
    }
    bodies.push(...(await readStream(`${inspector.url}/api/stream`, 1, () => {})));
    const encoded = Buffer.from(PLANTED).toString('base64');
    for (const body of bodies) {
      expect(body).not.toContain(PLANTED);
      expect(body).not.toContain(encoded);
      expect(body).not.toContain(IR_SECRET);
    }
    expect(bodies[0]).toContain('Switchyard inspector');
  });

  it('streams trace events live over server-sent events', async () => {
    system = pipeline();
    inspector = await startInspector({ system, address: '127.0.0.1:0', tickMs: 60_000 });
    system.start();
    await system.whenReady();
    const events = await readStream(`${inspector.url}/api/stream`, 3, () => {
      void system!.send<Ping>('source.a', { type: 'ping', n: 7 });
    });
    expect(events[0]).toMatch(/^event: actors/m);
    expect(events.slice(1).join('\n')).toMatch(/event: trace\ndata: \{.*"kind":"(send|enqueue)"/);
    expect(events[1]).toMatch(/^id: \d+/m);
  });

  it('streams only the trace kinds asked for', async () => {
    system = pipeline();
    inspector = await startInspector({ system, address: '127.0.0.1:0', tickMs: 60_000 });
    system.start();
    await system.whenReady();
    const events = await readStream(`${inspector.url}/api/stream?trace=all&kinds=send`, 3, () => {
      void system!.send<Ping>('source.a', { type: 'ping', n: 7 });
    });
    const traces = events.filter((e) => /^event: trace$/m.test(e));
    expect(traces).toHaveLength(2);
    for (const trace of traces) expect(trace).toContain('"kind":"send"');
  });

  it('streams one trace summary per tick to a UI instead of every event', async () => {
    system = pipeline();
    inspector = await startInspector({ system, address: '127.0.0.1:0', tickMs: 20 });
    system.start();
    await system.whenReady();
    const events = await readStream(`${inspector.url}/api/stream?trace=summary`, 4, () => {
      void system!.send<Ping>('source.a', { type: 'ping', n: 1 });
    });
    expect(events.some((e) => e.startsWith('event: trace-summary'))).toBe(true);
    expect(events.some((e) => /^event: trace$/m.test(e))).toBe(false);
    const summaries = events.filter((e) => e.startsWith('event: trace-summary'));
    expect(JSON.parse(summaries.at(-1)!.split('data: ')[1]!)).toMatchObject({ last: expect.any(Number) });
  });

  it('is read-only', async () => {
    system = pipeline();
    inspector = await startInspector({ system, address: '127.0.0.1:0' });
    for (const path of ['/api/actors', '/api/replay/step', '/']) {
      const response = await fetch(`${inspector.url}${path}`, { method: 'POST' });
      expect(response.status, path).toBe(405);
    }
  });

  it('refuses a non-loopback address without a bearer token, and checks the token when configured', async () => {
    system = pipeline();
    await expect(startInspector({ system, address: '0.0.0.0:0' })).rejects.toThrow(InspectorAddressError);
    inspector = await startInspector({ system, address: '0.0.0.0:0', token: 'let-me-in' });
    const base = `http://127.0.0.1:${inspector.port}`;
    expect((await get(base, '/api/system')).status).toBe(401);
    expect((await get(base, '/api/system', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(base, '/api/system', { authorization: 'Bearer let-me-in' })).status).toBe(200);
    expect((await get(base, '/api/system?access_token=let-me-in')).status).toBe(200);
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });
});

describe('trace buffer', () => {
  it('keeps only the newest events, numbered', async () => {
    system = pipeline();
    const buffer = new TraceBuffer(16);
    buffer.follow(system.trace);
    system.start();
    await system.whenReady();
    for (let n = 0; n < 20; n++) await system.send<Ping>('source.a', { type: 'ping', n });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const held = buffer.since(0);
    expect(held).toHaveLength(16);
    expect(held.at(-1)!.seq).toBe(buffer.last);
    expect(held.map((e) => e.seq)).toEqual(Array.from({ length: 16 }, (_, i) => buffer.last - 15 + i));
    expect(buffer.since(buffer.last - 3)).toHaveLength(3);
    buffer.stop();
  });
});
