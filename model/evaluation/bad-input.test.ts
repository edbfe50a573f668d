// Bad input: random and mutated objects never crash a status function, and every condition we write uses a type
// and reason the spec defines. Also names at the 253-character limit and 10,000 routes on one listener.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createParentLookup } from '../gateway-api/attachment.ts';
import {
  backendTLSPolicyAncestors,
  computeBackendTLSPolicyStatus,
} from '../gateway-api/backend-tls-policies.ts';
import { computeGatewayClassStatus } from '../gateway-api/gateway-class.ts';
import { computeGatewayStatus, computeListenerSetStatus } from '../gateway-api/gateway-status.ts';
import { countAttachedRoutes, evaluateRoute, routeStatusOf } from '../gateway-api/route-status.ts';
import { type Gateway, type HTTPRoute, ROUTE_KINDS, type Route } from '../resources/gateway-api.ts';
import type { AnyResource } from '../resources/kinds.ts';
import type { Condition } from '../resources/kubernetes.ts';
import { type ConditionFamily, isSpecCondition } from '../shared/conditions.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, NOW, readManifests, storeOf } from '../testdata/fixtures.ts';
import { buildGatewayIR } from './build-gateway-ir.ts';
import { dependenciesOf } from './dependencies.ts';

const SEEDS = readManifests(
  'base.yaml',
  'gatewayclass.yaml',
  'gateways-invalid-listeners.yaml',
  'gateways-invalid-tls.yaml',
  'gateways-conflicts.yaml',
  'http-routes.yaml',
  'http-route-backends.yaml',
  'http-route-rules.yaml',
  'l4-and-grpc-routes.yaml',
  'listener-sets.yaml',
  'grant-secrets-to-infra-gateways.yaml',
  'backend-tls.yaml',
);

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => pathsOf(child, [...prefix, key]))];
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  // YAML and JSON cannot express array holes: removing an array element shortens the array
  if (value === undefined && Array.isArray(node)) node.splice(last as number, 1);
  else if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const mutation = fc.record({
  seed: fc.nat(),
  path: fc.nat(),
  // keep metadata.name mostly intact so the mutated object still lands in the store
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constant(undefined),
    fc.constant(null),
    fc.constant(''),
    fc.constant(-1),
  ),
});

function mutate(m: { seed: number; path: number; value: unknown }): AnyResource {
  const seed = SEEDS[m.seed % SEEDS.length] as AnyResource;
  const paths = pathsOf(seed).filter(
    (p) => p[0] !== 'apiVersion' && p[0] !== 'kind' && !(p[0] === 'metadata' && p[1] === 'name'),
  );
  return setAt(seed, paths[m.path % paths.length] as Path, m.value) as AnyResource;
}

const randomObject = fc.record({
  apiVersion: fc.constantFrom(
    'gateway.networking.k8s.io/v1',
    'v1',
    'discovery.k8s.io/v1',
    'switchyard.dev/v1alpha1',
  ),
  kind: fc.constantFrom(
    'GatewayClass',
    'Gateway',
    'ListenerSet',
    'BackendTLSPolicy',
    'ConfigMap',
    'HTTPRoute',
    'GRPCRoute',
    'TLSRoute',
    'TCPRoute',
    'UDPRoute',
    'ReferenceGrant',
    'Service',
    'Secret',
    'EndpointSlice',
    'Namespace',
    'GatewayClassParameters',
  ),
  metadata: fc.record({
    name: fc.constantFrom('switchyard', 'web', 'mixed', 'x'),
    namespace: fc.constantFrom('infra', 'apps'),
  }),
  spec: fc.jsonValue({ maxDepth: 4 }),
  status: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
});

function expectSpecConditions(conditions: readonly Condition[] | undefined, family: ConditionFamily): void {
  for (const condition of conditions ?? []) {
    if (!isSpecCondition(family, condition)) {
      throw new Error(`${family} condition ${condition.type}/${condition.reason} is not defined by the spec`);
    }
  }
}

/** Runs every status function over the world and checks what they write. */
function evaluateWorld(objects: readonly AnyResource[]): void {
  const store = new ResourceStore();
  for (const object of objects) store.upsert(object);
  for (const gatewayClass of store.list('GatewayClass')) {
    const status = computeGatewayClassStatus(gatewayClass, store, { controllerName: CONTROLLER, now: NOW });
    expectSpecConditions(status?.conditions, 'GatewayClass');
  }
  const parents = createParentLookup(store, CONTROLLER);
  const evaluations = ROUTE_KINDS.flatMap((kind) =>
    store.list(kind).map((route) => {
      const evaluation = evaluateRoute(route as Route, store, {
        controllerName: CONTROLLER,
        now: NOW,
        parents,
      });
      for (const parent of routeStatusOf(route as Route, evaluation, CONTROLLER).parents) {
        if (parent.controllerName === CONTROLLER) expectSpecConditions(parent.conditions, 'RouteParent');
      }
      dependenciesOf(route);
      return evaluation;
    }),
  );
  const attachedRoutes = countAttachedRoutes(evaluations);
  for (const gateway of store.list('Gateway')) {
    const status = computeGatewayStatus(gateway, store, {
      controllerName: CONTROLLER,
      now: NOW,
      attachedRoutes,
    });
    expectSpecConditions(status?.conditions, 'Gateway');
    for (const listener of status?.listeners ?? []) expectSpecConditions(listener.conditions, 'Listener');
    const ir = buildGatewayIR(gateway, store, evaluations, { controllerName: CONTROLLER });
    expect(JSON.parse(JSON.stringify(ir ?? null))).toEqual(ir ?? null);
    dependenciesOf(gateway);
  }
  for (const policy of store.list('BackendTLSPolicy')) {
    const ancestors = backendTLSPolicyAncestors(policy, evaluations);
    const status = computeBackendTLSPolicyStatus(policy, store, {
      controllerName: CONTROLLER,
      now: NOW,
      ancestors,
    });
    for (const ancestor of status.ancestors) {
      if (ancestor.controllerName === CONTROLLER)
        expectSpecConditions(ancestor.conditions, 'BackendTLSPolicy');
    }
  }
  for (const listenerSet of store.list('ListenerSet')) {
    const status = computeListenerSetStatus(listenerSet, store, {
      controllerName: CONTROLLER,
      now: NOW,
      attachedRoutes,
    });
    expectSpecConditions(status?.conditions, 'ListenerSet');
    for (const listener of status?.listeners ?? []) expectSpecConditions(listener.conditions, 'Listener');
  }
}

// The unit project's 20 s budget is for small in-process tests; these evaluate a whole world 300 times or 10,000
// routes (~2 to 5 s on a quiet machine, ten times that when the machine is loaded), so each gets a budget of its
// own that still stops a hang.
const WHOLE_WORLD = { timeout: 120_000 };

describe('bad input', () => {
  it('evaluates the untouched fixtures with spec conditions only', () => {
    evaluateWorld(SEEDS);
  });

  it('never throws on mutated objects and writes only spec conditions', WHOLE_WORLD, () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        evaluateWorld([...SEEDS, ...mutations.map(mutate)]);
      }),
      { numRuns: 300, seed: 4242 },
    );
  });

  it('never throws on random objects', WHOLE_WORLD, () => {
    fc.assert(
      fc.property(fc.array(randomObject, { minLength: 1, maxLength: 8 }), (objects) => {
        evaluateWorld([
          ...SEEDS.filter((o) => o.kind === 'GatewayClass' || o.kind === 'Namespace'),
          ...(objects as unknown as AnyResource[]),
        ]);
      }),
      { numRuns: 300, seed: 4243 },
    );
  });
});

describe('scale and limits', () => {
  it('attaches a route whose name and namespace-qualified parent use the 253-character limit', () => {
    const store = storeOf('base.yaml', 'http-routes.yaml');
    const name = `${'r'.repeat(63)}.${'o'.repeat(63)}.${'u'.repeat(63)}.${'t'.repeat(61)}`;
    const gatewayName = `${'g'.repeat(63)}.${'a'.repeat(63)}.${'t'.repeat(63)}.${'e'.repeat(61)}`;
    const gateway = store.get('Gateway', 'infra', 'web') as Gateway;
    store.upsert({ ...gateway, metadata: { ...gateway.metadata, name: gatewayName } });
    const route: HTTPRoute = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name, namespace: 'infra', generation: 1 },
      spec: {
        parentRefs: [{ name: gatewayName, sectionName: 'http' }],
        rules: [{ backendRefs: [{ name: 'web', port: 8080 }] }],
      },
    };
    expect(name).toHaveLength(253);
    const evaluation = evaluateRoute(route, store, { controllerName: CONTROLLER, now: NOW });
    expect(evaluation.parents[0]?.status.conditions[0]).toMatchObject({ type: 'Accepted', status: 'True' });
  });

  it('computes 10,000 routes on one listener', WHOLE_WORLD, () => {
    const store = storeOf('base.yaml');
    store.upsert({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'busy', namespace: 'infra', generation: 1 },
      spec: {
        gatewayClassName: 'switchyard',
        listeners: [
          { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
        ],
      },
    });
    for (let i = 0; i < 10_000; i++) {
      store.upsert({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: `route-${String(i).padStart(5, '0')}`, namespace: 'infra', generation: 1 },
        spec: {
          parentRefs: [{ name: 'busy' }],
          hostnames: [`r${i}.example.com`],
          rules: [
            {
              matches: [{ path: { type: 'PathPrefix', value: `/r${i}` } }],
              backendRefs: [{ name: 'web', port: 8080 }],
            },
          ],
        },
      });
    }
    const parents = createParentLookup(store, CONTROLLER);
    const evaluations = store
      .list('HTTPRoute')
      .map((route) => evaluateRoute(route, store, { controllerName: CONTROLLER, now: NOW, parents }));
    const gateway = store.get('Gateway', 'infra', 'busy') as Gateway;
    const status = computeGatewayStatus(gateway, store, {
      controllerName: CONTROLLER,
      now: NOW,
      attachedRoutes: countAttachedRoutes(evaluations),
    });
    expect(status?.listeners?.[0]?.attachedRoutes).toBe(10_000);
    const ir = buildGatewayIR(gateway, store, evaluations, { controllerName: CONTROLLER });
    const routes = ir?.ports[0]?.listeners[0]?.routes ?? [];
    expect(routes).toHaveLength(10_000);
    expect(routes[0]?.route.name).toBe('route-00000');
    expect(routes[9_999]?.route.name).toBe('route-09999');
  });
});
