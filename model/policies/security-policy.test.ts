import { describe, expect, it } from 'vitest';
import { evaluateAll } from '../evaluation/full-evaluation.ts';
import type { GatewayIR, RuleIR } from '../ir/gateway-ir.ts';
import type { PolicyAncestorStatusShape } from '../resources/envoy-gateway-policies.ts';
import type { AnyResource } from '../resources/kinds.ts';
import { findCondition } from '../shared/conditions.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, NOW, readManifests, storeOf } from '../testdata/fixtures.ts';

const store = storeOf('base.yaml', 'security-policies.yaml');
const result = evaluateAll(store, { controllerName: CONTROLLER, now: NOW });
const ir = result.irs.get('gateway.networking.k8s.io/Gateway/infra/edge') as GatewayIR;

function rulesOf(route: string): readonly RuleIR[] {
  const found = ir.ports
    .flatMap((p) => p.listeners.flatMap((l) => l.routes))
    .find((r) => r.route.name === route);
  if (found === undefined) throw new Error(`route ${route} not in the IR`);
  return found.rules;
}

function ancestors(name: string): PolicyAncestorStatusShape[] {
  const status = result.statuses.get(`gateway.envoyproxy.io/SecurityPolicy/infra/${name}`) as
    | { ancestors: PolicyAncestorStatusShape[] }
    | undefined;
  return status?.ancestors ?? [];
}

function accepted(name: string) {
  return findCondition(ancestors(name)[0]?.conditions as never, 'Accepted');
}

describe('SecurityPolicy attachment', () => {
  it('applies the most specific policy: rule over route over Gateway', () => {
    const [admin, rest] = rulesOf('app');
    expect(admin?.policies?.security?.policy.name).toBe('admin-rule');
    expect(admin?.policies?.security?.authorization?.rules[0]?.clientCIDRs).toEqual([
      { address: '10.0.0.0', prefixLength: 8 },
    ]);
    expect(rest?.policies?.security?.policy.name).toBe('app-jwt');
    expect(rest?.policies?.security?.jwt?.providers[0]?.jwks).toMatchObject({
      kind: 'remote',
      destination: { kind: 'uri', host: 'idp.example.com', port: 443, tls: true },
    });
    const [plainRule] = rulesOf('plain-route');
    // The Gateway-wide policy would apply, but the route's own (invalid) policy is more specific: denied.
    expect(plainRule?.policies?.denied?.policy.name).toBe('typo');
  });

  it('reports the Gateway as ancestor, Accepted, and Overridden for the routes with their own policy', () => {
    expect(ancestors('gateway-wide')).toHaveLength(1);
    expect(ancestors('gateway-wide')[0]?.ancestorRef).toMatchObject({ kind: 'Gateway', name: 'edge' });
    expect(accepted('gateway-wide')).toMatchObject({ status: 'True', reason: 'Accepted' });
    const overridden = findCondition(ancestors('gateway-wide')[0]?.conditions as never, 'Overridden');
    // Every route of the Gateway has its own policy (even an invalid one is more specific, and denies).
    expect(overridden?.message).toContain(
      'these routes: HTTPRoute/infra/app, HTTPRoute/infra/broken, HTTPRoute/infra/plain-route',
    );
  });

  it('of two policies on one route the older wins; the newer is Conflicted', () => {
    expect(accepted('app-jwt')).toMatchObject({ status: 'True' });
    expect(accepted('app-jwt-newer')).toMatchObject({ status: 'False', reason: 'Conflicted' });
    expect(accepted('app-jwt-newer')?.message).toContain('infra/app-jwt');
  });

  it('denies the routes of a policy that cannot be enforced, naming the reason', () => {
    const [rule] = rulesOf('broken');
    expect(rule?.policies?.denied).toMatchObject({ status: 500 });
    expect(rule?.policies?.denied?.reason).toContain('Secret infra/nobody not found');
    expect(accepted('missing-secret')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(accepted('missing-secret')?.message).toContain('answer 500');
  });

  it('names an unknown field, as strict field validation would', () => {
    expect(accepted('typo')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(accepted('typo')?.message).toContain(
      'spec.jwt.providers[0].remoteJWKS.cacheDurationz: unknown field',
    );
  });

  it('reports a missing target as TargetNotFound', () => {
    expect(ancestors('later-target')[0]?.ancestorRef).toMatchObject({ kind: 'HTTPRoute', name: 'not-yet' });
    expect(accepted('later-target')).toMatchObject({ status: 'False', reason: 'TargetNotFound' });
  });
});

describe('SecurityPolicy status.ancestors', () => {
  it("keeps at most 16 entries: another controller's first, then ours, refusals before acceptances", () => {
    const world = storeOf('base.yaml');
    const names = Array.from({ length: 20 }, (_, i) => `gw-${String(i).padStart(2, '0')}`);
    for (const name of names)
      world.upsert({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name, namespace: 'infra', generation: 1 },
        spec: { gatewayClassName: 'switchyard', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
      } as AnyResource);
    const other = {
      ancestorRef: {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        namespace: 'infra',
        name: 'theirs',
      },
      controllerName: 'example.com/other-controller',
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'theirs' }],
    };
    world.upsert({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: 'many', namespace: 'infra', generation: 1 },
      spec: {
        targetRefs: [...names, 'missing'].map((name) => ({
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name,
        })),
        cors: { allowOrigins: ['https://a.example.com'] },
      },
      status: { ancestors: [other] },
    } as AnyResource);
    const statuses = evaluateAll(world, { controllerName: CONTROLLER, now: NOW }).statuses;
    const entries = (
      statuses.get('gateway.envoyproxy.io/SecurityPolicy/infra/many') as {
        ancestors: PolicyAncestorStatusShape[];
      }
    ).ancestors;
    expect(entries).toHaveLength(16);
    expect(entries[0]).toEqual(other);
    // The entry that needs attention (a Gateway not found) is kept ahead of the accepted ones.
    expect(entries[1]?.ancestorRef.name).toBe('missing');
    expect(findCondition(entries[1]?.conditions as never, 'Accepted')?.reason).toBe('TargetNotFound');
    expect(entries.slice(2).map((e) => e.ancestorRef.name)).toEqual(names.slice(0, 14));
  });
});

// A policy's regexes reach Envoy (RBAC `:path` matches, CORS origin matchers): RE2's verdict, not RegExp's.
describe('SecurityPolicy regexes as Envoy RE2 reads them', () => {
  const authorizationPath = (path: object) => ({
    authorization: { defaultAction: 'Deny', rules: [{ action: 'Allow', operation: { path } }] },
  });
  const CASES: readonly (readonly [string, object, RegExp | undefined])[] = [
    [
      'authorization path look-behind',
      authorizationPath({ type: 'RegularExpression', value: '/(?<=a)b' }),
      /spec\.authorization\.rules\[0\]\.operation\.path\.value: invalid regular expression: invalid perl operator: \(\?</,
    ],
    [
      'authorization path whose program is too large',
      authorizationPath({ type: 'RegularExpression', value: '/[a-z]{0,600}' }),
      /operation\.path\.value: invalid regular expression: RE2 program size of \d+ > max program size of 1000/,
    ],
    [
      'authorization named group (RegExp and RE2 agree)',
      authorizationPath({ type: 'RegularExpression', value: '/(?P<v>v1)/.*' }),
      undefined,
    ],
    [
      'CORS wildcard origin too large',
      { cors: { allowOrigins: [`https://${'*.a'.repeat(120)}`] } },
      /spec\.cors\.allowOrigins\[0\]: invalid as a regular expression: RE2 program size/,
    ],
    ['CORS wildcard origin', { cors: { allowOrigins: ['https://*.example.com'] } }, undefined],
  ];

  it.each(CASES)('%s', (_, spec, refused) => {
    const store = new ResourceStore();
    for (const object of readManifests('base.yaml', 'security-policies.yaml')) store.upsert(object);
    const policy = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: 'regex', namespace: 'infra', generation: 1, creationTimestamp: NOW },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'not-yet' }],
        ...spec,
      },
    };
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'not-yet', namespace: 'infra', generation: 1, creationTimestamp: NOW },
      spec: { parentRefs: [{ name: 'edge' }], rules: [{ backendRefs: [{ name: 'app', port: 80 }] }] },
    };
    store.upsert(route as never);
    store.upsert(policy as never);
    const statuses = evaluateAll(store, { controllerName: CONTROLLER, now: NOW }).statuses;
    const status = statuses.get('gateway.envoyproxy.io/SecurityPolicy/infra/regex') as {
      ancestors: PolicyAncestorStatusShape[];
    };
    const condition = findCondition(status.ancestors[0]?.conditions as never, 'Accepted');
    if (refused === undefined) expect(condition).toMatchObject({ status: 'True' });
    else {
      expect(condition).toMatchObject({ status: 'False', reason: 'Invalid' });
      expect(condition?.message).toMatch(refused);
    }
  });
});
