// EnvoyExtensionPolicy through a real Envoy, from hand-written IR: an external processor on one route adds a
// header the backend sees and may answer the request itself; another route of the same listener never reaches
// it; a processor that is down fails closed (500) unless the policy says failOpen; a denied rule (Wasm refused)
// answers 500.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewayIR, listener, port, route, rule, service } from '../../backends/envoy/testdata/gateway-ir.ts';
import type { RuleIR } from '../../model/ir/gateway-ir.ts';
import type { ExtProcIR, PolicyBackendIR } from '../../model/ir/policies.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { type HeaderProcessor, startHeaderProcessor } from '../harness/auth/index.ts';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { httpRequest } from './http-client.ts';

const POLICY = resourceKey('gateway.envoyproxy.io', 'EnvoyExtensionPolicy', 'default', 'process');

function processedBy(base: RuleIR, backend: PolicyBackendIR, failOpen: boolean, name = POLICY.name): RuleIR {
  const processor: ExtProcIR = {
    destination: { kind: 'backends', backends: [backend] },
    messageTimeoutMs: 2_000,
    failOpen,
    request: { attributes: [] },
    allowModeOverride: false,
    observabilityMode: false,
    accessibleNamespaces: [],
    writableNamespaces: [],
  };
  return { ...base, policies: { extension: { policy: { ...POLICY, name }, extProc: [processor] } } };
}

describe('EnvoyExtensionPolicy through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let echo: EchoServer;
  let processor: HeaderProcessor;
  let httpPort: number;

  const get = (host: string, headers: Record<string, string> = {}) =>
    httpRequest(httpPort, '/', { host, headers });

  beforeAll(async () => {
    echo = await startHttpEcho('app');
    processor = await startHeaderProcessor('proc-1');
    const downPort = await freePort();
    httpPort = await freePort();
    fixture = await EnvoyBackendFixture.start();
    const app = service('app', [echo.port]);
    const live = service('processor', [processor.port], { servicePort: 9000 }) as PolicyBackendIR;
    const down = service('down', [downPort], { servicePort: 9001 }) as PolicyBackendIR;
    const ir = gatewayIR([
      port(httpPort, [
        listener('http', 'HTTP', [
          route('processed', [processedBy(rule([app]), live, false)], {
            hostnames: ['processed.example.com'],
          }),
          route('plain', [rule([app])], { hostnames: ['plain.example.com'] }),
          route('down-closed', [processedBy(rule([app]), down, false, 'closed')], {
            hostnames: ['closed.example.com'],
          }),
          route('down-open', [processedBy(rule([app]), down, true, 'open')], {
            hostnames: ['open.example.com'],
          }),
          route(
            'wasm',
            [
              {
                ...rule([app]),
                policies: { denied: { status: 500, policy: POLICY, reason: 'spec.wasm: not supported' } },
              },
            ],
            { hostnames: ['wasm.example.com'] },
          ),
        ]),
      ]),
    ]);
    await fixture.send(ir);
    await fixture.startEnvoy(ir.gateway, { nodeId: 'extensions' });
    await fixture.waitForSynced('extensions', 1);
  });

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all([echo?.close(), processor?.close()]);
  });

  test('the processor sees the targeted route only, adds its header, and may answer itself', async () => {
    const processed = await get('processed.example.com');
    expect(processed.status).toBe(200);
    expect(processed.seen?.headers['x-processed']).toBe('proc-1');
    const calls = processor.paths.length;
    const plain = await get('plain.example.com');
    expect(plain.status).toBe(200);
    expect(plain.seen?.headers['x-processed']).toBeUndefined();
    expect(processor.paths.length).toBe(calls);
    expect((await get('processed.example.com', { 'x-reject': 'yes' })).status).toBe(418);
  });

  test('a processor that is down fails closed, unless failOpen', async () => {
    const closed = await get('closed.example.com');
    expect(closed.status).toBe(500);
    expect(closed.seen).toBeUndefined();
    expect((await get('open.example.com')).status).toBe(200);
  });

  test('a denied rule answers 500', async () => {
    expect((await get('wasm.example.com')).status).toBe(500);
  });
});
