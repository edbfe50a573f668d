// InferencePool backends through a real Envoy programmed by the Envoy backend, with the test endpoint picker:
// the picker's choice is honoured, the subset hint reaches it, FailOpen serves and FailClose refuses when the
// picker is down, a pool without picker is load-balanced, and weights split traffic across two pools.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewayIR, listener, port, route, rule } from '../../backends/envoy/testdata/gateway-ir.ts';
import type { BackendIR } from '../../model/ir/gateway-ir.ts';
import { INFERENCE_GROUP, resourceKey } from '../../model/resources/resource-key.ts';
import { EnvoyBackendFixture } from '../envoy/envoy-backend-fixture.ts';
import { answeredBy, httpRequest } from '../envoy/http-client.ts';
import { type EchoServer, type SeenRequest, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { type EndpointPicker, PICK_HEADER, startEndpointPicker } from './endpoint-picker.ts';

const NAMES = ['a1', 'a2', 'b1', 'o1', 'c1', 'p1', 'p2'] as const;
type Name = (typeof NAMES)[number];

describe('InferencePools through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let echo: Record<Name, EchoServer>;
  let pickerA: EndpointPicker;
  let pickerB: EndpointPicker;
  let gatewayPort: number;
  const at = (name: Name) => `127.0.0.1:${echo[name].port}`;

  function pool(
    name: string,
    members: readonly Name[],
    options: {
      weight?: number;
      picker?: number;
      failureMode?: 'FailOpen' | 'FailClose';
      problem?: string;
    } = {},
  ): BackendIR {
    return {
      weight: options.weight ?? 1,
      kind: 'InferencePool',
      pool: resourceKey(INFERENCE_GROUP, 'InferencePool', 'default', name),
      targetPorts: members.map((m) => echo[m].port),
      selector: { pool: name },
      endpoints: members.map((m) => ({ address: '127.0.0.1', port: echo[m].port })),
      ...(options.picker === undefined
        ? {}
        : {
            endpointPicker: {
              service: resourceKey('', 'Service', 'default', `${name}-epp`),
              port: 9002,
              failureMode: options.failureMode ?? 'FailClose',
              endpoints: [{ address: '127.0.0.1', port: options.picker }],
              ...(options.problem === undefined ? {} : { problem: options.problem }),
            },
          }),
    };
  }

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    echo = Object.fromEntries(
      await Promise.all(NAMES.map(async (n) => [n, await startHttpEcho(n)])),
    ) as Record<Name, EchoServer>;
    pickerA = await startEndpointPicker([at('a1'), at('a2')]);
    pickerB = await startEndpointPicker([at('b1')]);
    const down = await freePort(); // nothing listens there: a picker that is down
    gatewayPort = await freePort();
    const served = (host: string, backends: BackendIR[]) =>
      route(host.split('.')[0]!, [rule(backends)], { hostnames: [host] });
    const ir = gatewayIR([
      port(gatewayPort, [
        listener('web', 'HTTP', [
          served('pick.example.com', [pool('a', ['a1', 'a2'], { picker: pickerA.port })]),
          served('open.example.com', [pool('o', ['o1'], { picker: down, failureMode: 'FailOpen' })]),
          served('close.example.com', [pool('c', ['c1'], { picker: down, failureMode: 'FailClose' })]),
          served('plain.example.com', [pool('p', ['p1', 'p2'])]),
          served('weights.example.com', [
            pool('a', ['a1', 'a2'], { picker: pickerA.port, weight: 80 }),
            pool('b', ['b1'], { picker: pickerB.port, weight: 20 }),
          ]),
          // Picker b answers b1, which is no endpoint of this pool.
          served('stray.example.com', [pool('s', ['c1'], { picker: pickerB.port })]),
          served('invalid.example.com', [
            pool('i', ['p1'], {
              picker: down,
              problem: 'spec.endpointPickerRef.name: Service default/i-epp not found',
            }),
          ]),
        ]),
      ]),
    ]);
    const revision = await fixture.send(ir);
    await fixture.startEnvoy(ir.gateway, { nodeId: 'inference' });
    await fixture.waitForSynced('inference', revision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all(Object.values(echo ?? {}).map((e) => e.close()));
    await pickerA?.close();
    await pickerB?.close();
  });

  test('the request reaches the endpoint the picker chose', async () => {
    const host = 'pick.example.com';
    expect(await answeredBy(gatewayPort, '/', { host, headers: { [PICK_HEADER]: at('a2') } })).toBe('a2');
    expect(await answeredBy(gatewayPort, '/', { host, headers: { [PICK_HEADER]: at('a1') } })).toBe('a1');
    const answer = await httpRequest(gatewayPort, '/', { host, headers: { [PICK_HEADER]: at('a2') } });
    expect(answer.seen?.headers['x-gateway-destination-endpoint']).toBe(at('a2'));
  });

  test('a request with a body: the picker reads it whole (full duplex) and the backend gets it unchanged', async () => {
    const body = JSON.stringify({ pick: at('a2'), model: 'llama', prompt: 'x'.repeat(70_000) });
    const before = pickerA.calls.length;
    const answer = await post(gatewayPort, 'pick.example.com', body);
    expect(answer.status).toBe(200);
    expect(answer.seen?.backend).toBe('a2');
    expect(answer.seen?.body).toBe(body);
    expect(pickerA.calls[before]).toMatchObject({ picked: at('a2'), body });
  });

  test('the subset hint is forwarded to the picker, which picks only from it', async () => {
    const host = 'pick.example.com';
    const subset = { 'x-gateway-destination-endpoint-subset': at('a2') };
    const before = pickerA.calls.length;
    expect(await answeredBy(gatewayPort, '/', { host, headers: subset })).toBe('a2');
    expect(pickerA.calls[before]?.subset).toEqual([at('a2')]);
    // Asked for an endpoint outside the subset, the picker refuses (EPP: 503).
    expect(
      await answeredBy(gatewayPort, '/', { host, headers: { ...subset, [PICK_HEADER]: at('a1') } }),
    ).toBe('<503>');
  });

  test('picker down: FailOpen serves from the pool, FailClose refuses', async () => {
    expect(await answeredBy(gatewayPort, '/', { host: 'open.example.com' })).toBe('o1');
    const closed = await httpRequest(gatewayPort, '/', { host: 'close.example.com' });
    expect(closed.seen).toBeUndefined();
    expect(closed.status).toBe(503);
  });

  test('FailClose: a picker answer naming no endpoint of the pool finds no host', async () => {
    expect(await answeredBy(gatewayPort, '/', { host: 'stray.example.com' })).toBe('<503>');
  });

  test('a pool without a picker is load-balanced over its endpoints', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20 && seen.size < 2; i++)
      seen.add(await answeredBy(gatewayPort, '/', { host: 'plain.example.com' }));
    expect([...seen].sort()).toEqual(['p1', 'p2']);
  });

  test('an invalid endpoint picker reference answers 500', async () => {
    expect(await answeredBy(gatewayPort, '/', { host: 'invalid.example.com' })).toBe('<500>');
  });

  test('weights split requests across two pools, each asking its own picker', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const by = await answeredBy(gatewayPort, '/', { host: 'weights.example.com' });
      counts.set(by, (counts.get(by) ?? 0) + 1);
    }
    // Each picker picks its first endpoint: a1 for pool a (weight 80), b1 for pool b (weight 20).
    expect([...counts.keys()].sort()).toEqual(['a1', 'b1']);
    expect(counts.get('a1')).toBeGreaterThanOrEqual(60);
    expect(counts.get('b1')).toBeGreaterThanOrEqual(5);
  });
});

/** A POST with a JSON body through the gateway; the echo backend's report of what it saw. */
function post(port: number, host: string, body: string): Promise<{ status: number; seen?: SeenRequest }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/completions',
        method: 'POST',
        headers: { host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let seen: SeenRequest | undefined;
          try {
            seen = JSON.parse(text) as SeenRequest;
          } catch {
            seen = undefined;
          }
          resolve({ status: res.statusCode ?? 0, ...(seen === undefined ? {} : { seen }) });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('POST timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
