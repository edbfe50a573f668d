import { describe, expect, it } from 'vitest';
import { evaluateAll } from '../evaluation/full-evaluation.ts';
import type { GatewayIR, ListenerIR, RouteIR } from '../ir/gateway-ir.ts';
import type { PolicyAncestorStatusShape } from '../resources/envoy-gateway-policies.ts';
import { findCondition } from '../shared/conditions.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';

const result = evaluateAll(storeOf('base.yaml', 'traffic-and-extension-policies.yaml'), {
  controllerName: CONTROLLER,
  now: NOW,
});
const ir = result.irs.get('gateway.networking.k8s.io/Gateway/infra/traffic') as GatewayIR;
const listeners = ir.ports.flatMap((p) => p.listeners);
const listenerNamed = (name: string) => listeners.find((l) => l.name === name) as ListenerIR;
const routeNamed = (name: string) =>
  listeners.flatMap((l) => l.routes).find((r) => r.route.name === name) as RouteIR;

function accepted(kind: string, name: string) {
  const status = result.statuses.get(`gateway.envoyproxy.io/${kind}/infra/${name}`) as
    | { ancestors: PolicyAncestorStatusShape[] }
    | undefined;
  return findCondition(status?.ancestors[0]?.conditions as never, 'Accepted');
}

describe('ClientTrafficPolicy', () => {
  it('applies to the listeners of its Gateway; a listener-level policy is more specific', () => {
    expect(listenerNamed('a').clientTraffic).toMatchObject({
      policy: { name: 'gateway-wide' },
      clientIPDetection: { kind: 'xff', numTrustedHops: 2 },
      timeout: { idleMs: 30_000 },
    });
    expect(accepted('ClientTrafficPolicy', 'gateway-wide')).toMatchObject({ status: 'True' });
  });

  it('denies the routes of a listener whose required client certificate CA cannot be read', () => {
    expect(listenerNamed('c').clientTraffic).toBeUndefined();
    expect(routeNamed('on-c').rules[0]?.policies?.denied).toMatchObject({ status: 500 });
    expect(accepted('ClientTrafficPolicy', 'mtls-missing-ca')?.message).toContain(
      'ConfigMap infra/nope not found',
    );
  });
});

describe('EnvoyExtensionPolicy', () => {
  it('gives the targeted route its external processor', () => {
    expect(routeNamed('processed').rules[0]?.policies?.extension?.extProc[0]).toMatchObject({
      request: { body: 'Buffered' },
      messageTimeoutMs: 200,
      failOpen: false,
    });
  });

  it('refuses Wasm with a condition naming the field, and denies the route', () => {
    expect(routeNamed('wasm-route').rules[0]?.policies?.denied).toMatchObject({ status: 500 });
    expect(accepted('EnvoyExtensionPolicy', 'wasm')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(accepted('EnvoyExtensionPolicy', 'wasm')?.message).toContain('spec.wasm: not supported');
  });
});
