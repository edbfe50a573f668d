// BackendTrafficPolicy on the attachment layer: a Gateway-level policy on its routes, mergeType (StrategicMerge
// keeps the parent's rate limit rules and adds the route's, JSONMerge replaces a rate limit block), a route-level
// policy without mergeType replacing the Gateway's whole, and refusals naming the field (the route denied).
import { describe, expect, it } from 'vitest';
import { evaluateAll } from '../evaluation/full-evaluation.ts';
import type { GatewayIR, RouteIR } from '../ir/gateway-ir.ts';
import type { PolicyAncestorStatusShape } from '../resources/envoy-gateway-policies.ts';
import { findCondition } from '../shared/conditions.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';

const result = evaluateAll(storeOf('base.yaml', 'backend-traffic-policies.yaml'), {
  controllerName: CONTROLLER,
  now: NOW,
});
const ir = result.irs.get('gateway.networking.k8s.io/Gateway/infra/btp') as GatewayIR;
const routes = ir.ports.flatMap((p) => p.listeners.flatMap((l) => l.routes));
const policiesOf = (name: string) =>
  (routes.find((r) => r.route.name === name) as RouteIR).rules[0]?.policies;

function condition(name: string, type: string) {
  const status = result.statuses.get(`gateway.envoyproxy.io/BackendTrafficPolicy/infra/${name}`) as
    | { ancestors: PolicyAncestorStatusShape[] }
    | undefined;
  return findCondition(status?.ancestors[0]?.conditions as never, type);
}

describe('BackendTrafficPolicy', () => {
  it("gives a Gateway's routes the Gateway-level policy", () => {
    const traffic = policiesOf('inherits')?.traffic;
    expect(traffic?.policy.name).toBe('gateway-wide');
    expect(traffic?.retry).toMatchObject({ numRetries: 5, retryOn: ['5xx'] });
    expect(traffic?.rateLimit?.global).toMatchObject([
      {
        owner: { name: 'gateway-wide' },
        requests: 100,
        unit: 'Minute',
        selector: { headers: [{ name: 'x-tenant', match: { kind: 'Distinct' } }] },
      },
    ]);
    expect(condition('gateway-wide', 'Accepted')).toMatchObject({ status: 'True' });
  });

  it("StrategicMerge enforces the Gateway's rules and the route's, the route's values winning", () => {
    const traffic = policiesOf('strategic')?.traffic;
    expect(traffic).toMatchObject({ policy: { name: 'strategic' }, mergedInto: { name: 'gateway-wide' } });
    expect(traffic?.timeout?.requestMs).toBe(2_000);
    expect(traffic?.retry?.numRetries).toBe(5);
    expect(traffic?.rateLimit?.global.map((r) => r.owner.name)).toEqual(['gateway-wide']);
    expect(traffic?.rateLimit?.local.map((r) => [r.owner.name, r.requests])).toEqual([['strategic', 10]]);
    expect(condition('strategic', 'Merged')).toMatchObject({ status: 'True' });
    expect(condition('gateway-wide', 'Merged')?.message).toContain('strategic');
  });

  it('JSONMerge replaces the rate limit block the route sets and keeps the rest of the parent', () => {
    const traffic = policiesOf('json')?.traffic;
    expect(traffic?.rateLimit?.global).toMatchObject([
      { owner: { name: 'json' }, requests: 5, shared: true },
    ]);
    expect(traffic?.retry?.numRetries).toBe(5);
  });

  it('a route-level policy without mergeType replaces the Gateway-level one whole', () => {
    const traffic = policiesOf('replaces')?.traffic;
    expect(traffic?.policy.name).toBe('replaces');
    expect(traffic?.mergedInto).toBeUndefined();
    expect(traffic?.retry).toBeUndefined();
    expect(traffic?.rateLimit).toBeUndefined();
    expect(traffic?.cluster?.circuitBreaker?.maxPendingRequests).toBe(1);
    expect(condition('gateway-wide', 'Overridden')?.message).toContain('replaces');
  });

  it('refuses a field Switchyard does not enforce by name, and denies the route', () => {
    expect(policiesOf('refused')?.traffic).toBeUndefined();
    expect(policiesOf('refused')?.denied).toMatchObject({ status: 500 });
    expect(condition('refused', 'Accepted')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(condition('refused', 'Accepted')?.message).toContain('spec.bandwidthLimit: not supported');
  });

  it("refuses the seeds' invented token budget field, saying what to write instead", () => {
    expect(policiesOf('seed')?.denied).toMatchObject({ status: 500 });
    const message = condition('seed', 'Accepted')?.message ?? '';
    expect(message).toContain('spec.rateLimit.tokenBudget: unknown field: Envoy Gateway has no such field');
    expect(message).toContain('cost.response {from: Metadata');
  });
});
