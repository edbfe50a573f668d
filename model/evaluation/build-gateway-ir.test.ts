import { describe, expect, it } from 'vitest';
import { evaluateRoute, type RouteEvaluation } from '../gateway-api/route-status.ts';
import type { GatewayIR } from '../ir/gateway-ir.ts';
import type { Gateway } from '../resources/gateway-api.ts';
import type { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import { buildGatewayIR } from './build-gateway-ir.ts';

function irOf(
  store: ResourceStore,
  gatewayName: string,
  evaluations?: RouteEvaluation[],
): GatewayIR | undefined {
  const routes =
    evaluations ??
    store.list('HTTPRoute').map((r) => evaluateRoute(r, store, { controllerName: CONTROLLER, now: NOW }));
  return buildGatewayIR(store.get('Gateway', 'infra', gatewayName) as Gateway, store, routes, {
    controllerName: CONTROLLER,
  });
}

describe('Gateway IR', () => {
  const store = storeOf('base.yaml', 'http-routes.yaml', 'http-route-backends.yaml', 'http-route-rules.yaml');

  it('groups ready listeners by port and lists accepted routes oldest first', () => {
    const ir = irOf(store, 'web');
    expect(ir?.parameters.backend).toBe('envoy');
    expect(ir?.ports.map((p) => [p.port, p.transport, p.listeners.map((l) => l.name)])).toEqual([
      [80, 'TCP', ['http']],
      [8080, 'TCP', ['wildcard']],
      [8081, 'TCP', ['team-apps']],
    ]);
    const http = ir?.ports[0]?.listeners[0];
    const names = http?.routes.map((r) => r.route.name) ?? [];
    expect(names.slice(0, 2)).toEqual(['plain', 'whole-gateway']);
    expect(names).not.toContain('bad-regex');
    expect(names).not.toContain('wrong-port');
    expect(names).toContain('one-bad-rule');
  });

  it('keeps only valid rules, normalises match defaults, and keeps invalid backends as 500 shares', () => {
    const http = irOf(store, 'web')?.ports[0]?.listeners[0];
    const oneBadRule = http?.routes.find((r) => r.route.name === 'one-bad-rule');
    expect(oneBadRule?.rules.map((r) => r.index)).toEqual([0]);
    const plain = http?.routes.find((r) => r.route.name === 'plain');
    expect(plain?.rules[0]?.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    const halfBroken = http?.routes.find((r) => r.route.name === 'half-broken');
    expect(halfBroken?.rules[0]?.backends).toEqual([
      {
        weight: 3,
        kind: 'Service',
        service: { group: '', kind: 'Service', namespace: 'infra', name: 'web' },
        port: 8080,
        protocol: 'TCP',
        endpoints: [
          { address: '10.0.0.1', port: 3000 },
          { address: '10.0.0.2', port: 3000 },
        ],
      },
      {
        weight: 1,
        kind: 'Invalid',
        reason: 'BackendNotFound',
        message: expect.stringMatching(/no-such-service/),
      },
    ]);
  });

  it('reuses the IR of each route whose evaluation is the same, and builds it anew for a new evaluation', () => {
    const evaluations = store
      .list('HTTPRoute')
      .map((r) => evaluateRoute(r, store, { controllerName: CONTROLLER, now: NOW }));
    const first = irOf(store, 'web', evaluations)?.ports[0]?.listeners[0]?.routes ?? [];
    const plainAt = evaluations.findIndex((e) => e.route.name === 'plain');
    const plain = store.get('HTTPRoute', 'infra', 'plain');
    // The route evaluated again (as the reference validator does after it changed): an equal, new evaluation.
    const again = [...evaluations];
    again[plainAt] = evaluateRoute(plain!, store, { controllerName: CONTROLLER, now: NOW });
    const second = irOf(store, 'web', again)?.ports[0]?.listeners[0]?.routes ?? [];
    expect(second).toEqual(first);
    expect(second.length).toBeGreaterThan(2);
    for (const [i, route] of second.entries()) {
      if (route.route.name === 'plain') expect(route).not.toBe(first[i]);
      else expect(route).toBe(first[i]);
    }
  });

  it('carries filters set on a backendRef', () => {
    const http = irOf(store, 'web')?.ports[0]?.listeners[0];
    const route = http?.routes.find((r) => r.route.name === 'all-the-supported-things');
    expect(route?.rules[0]?.backends[0]).toMatchObject({
      kind: 'Service',
      filters: [
        {
          type: 'ResponseHeaderModifier',
          responseHeaderModifier: { set: [{ name: 'x-served-by', value: 'web' }] },
        },
      ],
    });
    expect(route?.rules[0]?.mirrors[0]).toMatchObject({ kind: 'Service', service: { name: 'web-v2' } });
  });

  it('carries the intersected hostnames per listener', () => {
    const ir = irOf(store, 'web');
    const wildcard = ir?.ports[1]?.listeners[0];
    expect(wildcard?.hostname).toBe('*.example.com');
    expect(wildcard?.routes.map((r) => [r.route.name, r.hostnames])).toEqual([
      ['whole-gateway', ['shop.example.com']],
    ]);
  });

  it('is deterministic and JSON-serialisable whatever the order of its inputs', () => {
    const evaluations = store
      .list('HTTPRoute')
      .map((r) => evaluateRoute(r, store, { controllerName: CONTROLLER, now: NOW }));
    const forward = irOf(store, 'web', evaluations);
    const backward = irOf(store, 'web', [...evaluations].reverse());
    expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
    expect(JSON.parse(JSON.stringify(forward))).toEqual(forward);
  });

  it('leaves out listeners that cannot be programmed and Gateways that are not ours', () => {
    const tls = storeOf('base.yaml', 'gateways-invalid-tls.yaml');
    expect(irOf(tls, 'certificate-secret-missing')?.ports).toEqual([]);
    const fine = irOf(tls, 'certificate-fine');
    expect(fine?.ports[0]?.listeners[0]?.tls).toEqual({
      mode: 'Terminate',
      certificates: [{ group: '', kind: 'Secret', namespace: 'infra', name: 'example-tls' }],
    });
    expect(irOf(store, 'foreign')).toBeUndefined();
  });

  it('orders listeners on a shared port from the most specific hostname', () => {
    const conflicts = storeOf('base.yaml', 'gateways-conflicts.yaml');
    const ir = irOf(conflicts, 'overlapping-tls', []);
    expect(ir?.ports[0]?.listeners.map((l) => l.hostname)).toEqual([
      'foo.example.com',
      '*.example.com',
      'example.com',
    ]);
  });
});
