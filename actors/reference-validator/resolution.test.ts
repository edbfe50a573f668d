import { describe, expect, it } from 'vitest';
import { changedKeysOf, dependenciesOf } from '../../model/evaluation/dependencies.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import { ROUTE_KINDS } from '../../model/resources/gateway-api.ts';
import type { AnyResource } from '../../model/resources/kinds.ts';
import { keyOf } from '../../model/resources/resource-key.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { CONTROLLER, NOW, readManifests } from '../../model/testdata/fixtures.ts';
import type { GatewayResolved } from '../gateway-deployer/messages.ts';
import { GatewayResolution } from './resolution.ts';

/** A resolution over the fixtures, with every object announced as the kind owners announce it. */
function resolutionOf(...files: string[]) {
  const store = new ResourceStore();
  const resolution = new GatewayResolution(store, CONTROLLER);
  const upsert = (object: AnyResource) => {
    store.upsert(object);
    resolution.changed(keyOf(object), dependenciesOf(object), false, changedKeysOf(object));
  };
  const remove = (object: AnyResource) => {
    store.delete(keyOf(object));
    resolution.changed(keyOf(object), [], true, changedKeysOf(object));
  };
  for (const object of readManifests(...files)) upsert(object);
  /** The IRs of the Gateways the next flush recomputes, by Gateway name. */
  const flush = () =>
    new Map(
      resolution.flush(NOW).flatMap((request) => {
        const message = request.message as { type: string } | Omit<GatewayResolved, 'meta'>;
        return 'ir' in message ? [[message.gateway.name, message.ir] as const] : [];
      }),
    );
  return { store, resolution, upsert, remove, flush };
}

function endpointsIn(ir: GatewayIR | undefined): string[] {
  return (JSON.stringify(ir).match(/10\.0\.0\.\d+/g) ?? []).sort();
}

describe('GatewayResolution', () => {
  // A slice names its Service only in a label, so nothing depends on the slice itself: its change must be looked
  // up under the Service, or ready endpoints would never reach the IR.
  it('rebuilds the IR of the Gateways whose routes use a Service when its EndpointSlice changes', () => {
    const world = resolutionOf('base.yaml', 'http-routes.yaml');
    expect(endpointsIn(world.flush().get('web'))).toContain('10.0.0.1');
    const slice = world.store.get('EndpointSlice', 'infra', 'web-abc') as AnyResource & {
      endpoints: unknown[];
    };
    world.upsert({
      ...slice,
      endpoints: [...slice.endpoints, { addresses: ['10.0.0.9'], conditions: { ready: true } }],
    } as AnyResource);
    const rebuilt = world.flush();
    // web carries the routes; tls-routes-only is named by a route to the same Service (refused there)
    expect([...rebuilt.keys()].sort()).toEqual(['tls-routes-only', 'web']);
    expect(endpointsIn(rebuilt.get('web'))).toContain('10.0.0.9');

    world.remove(slice);
    expect(endpointsIn(world.flush().get('web'))).toEqual([]);
  });

  it('also rebuilds what used the old Service when a slice is relabelled to another one', () => {
    const world = resolutionOf('base.yaml', 'http-routes.yaml');
    world.flush();
    const slice = world.store.get('EndpointSlice', 'infra', 'web-abc') as AnyResource;
    world.upsert({
      ...slice,
      metadata: { ...slice.metadata, labels: { 'kubernetes.io/service-name': 'web-v2' } },
    } as AnyResource);
    const rebuilt = world.flush();
    expect(rebuilt.has('web')).toBe(true);
    expect(endpointsIn(rebuilt.get('web'))).toEqual([]);
  });

  // Likewise a BackendTLSPolicy stands for the Services it targets: their backends carry its TLS settings.
  it('rebuilds the IR using a Service when the BackendTLSPolicy for it goes, and the next one takes over', () => {
    const world = resolutionOf('base.yaml', 'http-routes.yaml', 'backend-tls.yaml');
    expect(JSON.stringify(world.flush().get('web'))).toContain('"secure.example.com"');
    world.remove(world.store.get('BackendTLSPolicy', 'infra', 'secure-tls') as AnyResource);
    const rebuilt = JSON.stringify(world.flush().get('web'));
    expect(rebuilt).not.toContain('"secure.example.com"');
    expect(rebuilt).toContain('"other.example.com"');
  });

  // …and a change reaching the policy (its CA ConfigMap) must go on to those Services' routes too.
  it('rebuilds the IR using a Service when the CA bundle of its BackendTLSPolicy breaks', () => {
    const world = resolutionOf('base.yaml', 'http-routes.yaml', 'backend-tls.yaml');
    const before = JSON.stringify(world.flush().get('web'));
    const ca = world.store.get('ConfigMap', 'infra', 'ca') as AnyResource;
    world.upsert({ ...ca, data: { 'ca.crt': 'not a certificate' } } as AnyResource);
    const rebuilt = world.flush();
    expect(rebuilt.has('web')).toBe(true);
    expect(JSON.stringify(rebuilt.get('web'))).not.toBe(before);
  });

  // A policy that selects its targets by label stands for every object of the selected kind it may look at: a
  // labelled route created later, a ReferenceGrant or a Namespace's labels changing must reach the IR.
  it("rebuilds the IR when a policy's targetSelectors come to select, or stop selecting, a route", () => {
    const world = resolutionOf('base.yaml', 'target-selectors.yaml');
    world.flush();
    const trafficOf = (ir: GatewayIR | undefined, route: string) =>
      ir?.ports.flatMap((p) => p.listeners.flatMap((l) => l.routes)).find((r) => r.route.name === route)
        ?.rules[0]?.policies?.traffic?.policy.name;
    const shop = world.store.get('HTTPRoute', 'apps', 'shop') as AnyResource;
    const later = { ...shop, metadata: { ...shop.metadata, name: 'later' } } as AnyResource;
    world.upsert(later);
    expect(trafficOf(world.flush().get('shared'), 'later')).toBe('team-namespaces');

    const grant = world.store.get('ReferenceGrant', 'apps', 'infra-policies') as AnyResource;
    world.remove(grant);
    const ungranted = world.flush().get('shared');
    expect(trafficOf(ungranted, 'later')).toBeUndefined();
    expect(trafficOf(ungranted, 'shop')).toBeUndefined();

    world.upsert(grant);
    expect(trafficOf(world.flush().get('shared'), 'later')).toBe('team-namespaces');
    const apps = world.store.get('Namespace', undefined, 'apps') as AnyResource;
    world.upsert({ ...apps, metadata: { ...apps.metadata, labels: { team: 'elsewhere' } } } as AnyResource);
    expect(trafficOf(world.flush().get('shared'), 'later')).toBeUndefined();
  });

  // A policy on a route reports the route's Gateways and rebuilds their IR: when the route changed in the same
  // pass, it reads the route's one new evaluation (it used to evaluate the route again, before the routes phase).
  it('evaluates each route once when a policy targeting it changes in the same pass', () => {
    const world = resolutionOf('base.yaml', 'backend-traffic-policies.yaml');
    const routes = ROUTE_KINDS.flatMap((kind) => world.store.list(kind));
    expect(routes.length).toBeGreaterThan(4);
    expect(world.flush().has('btp')).toBe(true);
    expect(world.resolution.counters.routesEvaluated).toBe(routes.length);

    const route = world.store.get('HTTPRoute', 'infra', 'json') as AnyResource;
    const policy = world.store.get('BackendTrafficPolicy', 'infra', 'json') as AnyResource;
    world.upsert({ ...route, metadata: { ...route.metadata, generation: 2 } } as AnyResource);
    world.upsert({ ...policy, metadata: { ...policy.metadata, generation: 2 } } as AnyResource);
    expect(world.flush().has('btp')).toBe(true);
    expect(world.resolution.counters.routesEvaluated).toBe(routes.length + 1);
  });

  it('recomputes nothing for a change nobody depends on', () => {
    const world = resolutionOf('base.yaml', 'http-routes.yaml');
    world.flush();
    world.upsert({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'unused', namespace: 'infra' },
      spec: { ports: [{ port: 80 }] },
    } as AnyResource);
    expect(world.flush().size).toBe(0);
  });
});

// A ClientTrafficPolicy's http10.useDefaultHost is Accepted or not by the routes on its listeners: a route change
// recomputes its status, not only its Gateway's IR (else it would stay Accepted while not applied) — the routes
// of a Gateway, and those attached through a ListenerSet.
describe('policies that read routes', () => {
  type World = ReturnType<typeof resolutionOf>;
  const meta = (name: string, namespace: string) => ({
    name,
    namespace,
    generation: 1,
    creationTimestamp: '2026-01-01T00:00:00Z',
  });
  /** An HTTPRoute with one hostname, on a Gateway or ListenerSet of its namespace. */
  const route = (name: string, hostname: string, parent: { kind: string; name: string; namespace: string }) =>
    ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: meta(name, parent.namespace),
      spec: {
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: parent.kind, name: parent.name }],
        hostnames: [hostname],
        rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
      },
    }) as unknown as AnyResource;
  const legacyPolicy = (target: { kind: string; name: string; namespace: string }) =>
    ({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'ClientTrafficPolicy',
      metadata: meta('legacy', target.namespace),
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: target.kind, name: target.name }],
        http1: { http10: { useDefaultHost: true } },
      },
    }) as unknown as AnyResource;
  /** The policy's Accepted condition as the next flush computes it, and the default host in the Gateway's IR. */
  const flushed = (world: World) => {
    const messages = world.resolution
      .flush(NOW)
      .map(
        (request) =>
          request.message as { type: string; key?: { name: string }; status?: unknown; ir?: unknown },
      );
    const status = messages.find((message) => message.key?.name === 'legacy' && message.status !== undefined);
    const ir = messages.find((message) => message.type === 'gateway.resolved')?.ir;
    return {
      accepted:
        status === undefined
          ? 'not recomputed'
          : JSON.stringify(status).includes('"status":"False"')
            ? 'False'
            : 'True',
      defaultHost: /"defaultHost":"([^"]+)"/.exec(JSON.stringify(ir ?? null))?.[1] ?? 'none',
    };
  };
  /** One route, the policy; a second hostname (no default host can be picked), and back. */
  const followsRoutes = (world: World, parent: { kind: string; name: string; namespace: string }) => {
    world.upsert(route('one', 'one.example.com', parent));
    world.upsert(legacyPolicy(parent));
    expect(flushed(world)).toEqual({ accepted: 'True', defaultHost: 'one.example.com' });
    world.upsert(route('two', 'two.example.com', parent));
    expect(flushed(world)).toEqual({ accepted: 'False', defaultHost: 'none' });
    world.remove(route('two', 'two.example.com', parent));
    expect(flushed(world)).toEqual({ accepted: 'True', defaultHost: 'one.example.com' });
  };

  it("recomputes a Gateway's ClientTrafficPolicy when a route changes the default host it can pick", () => {
    const world = resolutionOf('base.yaml');
    world.upsert({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: 'infra', generation: 1 },
      spec: { gatewayClassName: 'switchyard', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
    } as unknown as AnyResource);
    followsRoutes(world, { kind: 'Gateway', name: 'edge', namespace: 'infra' });
  });

  it("recomputes a ListenerSet's ClientTrafficPolicy when a route attached through it changes", () => {
    const world = resolutionOf('base.yaml');
    world.upsert({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'shared', namespace: 'infra', generation: 1 },
      spec: {
        gatewayClassName: 'switchyard',
        allowedListeners: { namespaces: { from: 'All' } },
        listeners: [{ name: 'http', protocol: 'HTTP', port: 80, hostname: 'gateway.example.com' }],
      },
    } as unknown as AnyResource);
    world.upsert({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'ListenerSet',
      metadata: meta('team', 'apps'),
      spec: {
        parentRef: { name: 'shared', namespace: 'infra' },
        listeners: [{ name: 'team-http', port: 8080, protocol: 'HTTP' }],
      },
    } as unknown as AnyResource);
    world.upsert({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'apps' },
      spec: { ports: [{ name: 'http', port: 80 }] },
    } as unknown as AnyResource);
    followsRoutes(world, { kind: 'ListenerSet', name: 'team', namespace: 'apps' });
  });
});
