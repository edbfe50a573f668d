import { describe, expect, it } from 'vitest';
import type { Gateway, HTTPRoute, RouteParentStatus } from '../resources/gateway-api.ts';
import { findCondition } from '../shared/conditions.ts';
import type { ResourceStore } from '../shared/resource-view.ts';
import { CONTROLLER, LATER, NOW, storeOf } from '../testdata/fixtures.ts';
import { computeGatewayStatus } from './gateway-status.ts';
import {
  countAttachedRoutes,
  evaluateRoute,
  mergeRouteParentStatuses,
  type RouteEvaluation,
  routeStatusOf,
} from './route-status.ts';

function evaluate(store: ResourceStore, namespace: string, name: string, now = NOW): RouteEvaluation {
  const route = store.get('HTTPRoute', namespace, name);
  if (route === undefined) throw new Error(`no HTTPRoute ${namespace}/${name}`);
  return evaluateRoute(route, store, { controllerName: CONTROLLER, now });
}

function parent(evaluation: RouteEvaluation, index = 0) {
  const entry = evaluation.parents[index];
  if (entry === undefined) throw new Error(`no parent ${index}`);
  return (type: string) => findCondition(entry.status.conditions, type);
}

describe('HTTPRoute attachment', () => {
  const store = storeOf('base.yaml', 'http-routes.yaml');

  it('accepts a route on the listener its sectionName names', () => {
    const evaluation = evaluate(store, 'infra', 'plain');
    expect(parent(evaluation)('Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
    });
    expect(parent(evaluation)('ResolvedRefs')).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
    expect(evaluation.parents[0]?.attachment).toEqual({
      accepted: true,
      listeners: [
        {
          owner: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'web' },
          listener: 'http',
          hostnames: [],
        },
      ],
    });
  });

  it('attaches a route without sectionName to every listener that allows it, intersecting hostnames', () => {
    const attachment = evaluate(store, 'infra', 'whole-gateway').parents[0]?.attachment;
    expect(attachment?.accepted && attachment.listeners.map((l) => [l.listener, l.hostnames])).toEqual([
      ['http', ['shop.example.com']],
      ['wildcard', ['shop.example.com']],
    ]);
  });

  // HTTPRouteDisallowedKind
  it('refuses a kind the listeners do not allow, with references still resolved', () => {
    const evaluation = evaluate(store, 'infra', 'to-tls-gateway');
    expect(parent(evaluation)('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
    expect(parent(evaluation)('ResolvedRefs')).toMatchObject({ status: 'True' });
    expect(countAttachedRoutes([evaluation]).size).toBe(0);
  });

  // HTTPRouteInvalidCrossNamespaceParentRef
  it('refuses a route from another namespace on a listener that allows only its own', () => {
    expect(parent(evaluate(store, 'apps', 'from-other-namespace'))('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
  });

  it('lets allowedRoutes select namespaces by label', () => {
    expect(parent(evaluate(store, 'apps', 'apps-by-label'))('Accepted')).toMatchObject({ status: 'True' });
    expect(parent(evaluate(store, 'backends', 'backends-by-label'))('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
    const relabelled = storeOf('base.yaml', 'http-routes.yaml');
    relabelled.upsert({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'backends', labels: { team: 'apps' } },
      spec: undefined,
    });
    expect(parent(evaluate(relabelled, 'backends', 'backends-by-label'))('Accepted')).toMatchObject({
      status: 'True',
    });
  });

  // HTTPRouteInvalidParentRefNotMatchingListenerPort / NotMatchingSectionName / SectionNameNotMatchingPort
  it.each([
    ['wrong-port', /does not use port 81/],
    ['wrong-section', /no listener named no-such-listener/],
    ['section-on-other-port', /listener http does not use port 8080/],
  ])('%s: NoMatchingParent', (name, message) => {
    const accepted = parent(evaluate(store, 'infra', name))('Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason: 'NoMatchingParent' });
    expect(accepted?.message).toMatch(message);
  });

  it('refuses a route whose hostnames miss the listener hostname with NoMatchingListenerHostname', () => {
    expect(parent(evaluate(store, 'infra', 'foreign-hostname'))('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingListenerHostname',
    });
  });

  it('reports only parents of our controller and merges without touching other controllers', () => {
    const route = store.get('HTTPRoute', 'infra', 'two-parents') as HTTPRoute;
    const evaluation = evaluateRoute(route, store, { controllerName: CONTROLLER, now: NOW });
    expect(evaluation.parents.map((p) => p.parentRef.name)).toEqual(['web']);
    const theirs: RouteParentStatus = {
      parentRef: { name: 'foreign' },
      controllerName: 'example.com/other-controller',
      conditions: [
        { type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: NOW },
      ],
    };
    const stale: RouteParentStatus = {
      parentRef: { name: 'gone' },
      controllerName: CONTROLLER,
      conditions: [],
    };
    const status = routeStatusOf({ ...route, status: { parents: [stale, theirs] } }, evaluation, CONTROLLER);
    expect(status.parents.map((p) => [p.controllerName, p.parentRef.name])).toEqual([
      ['example.com/other-controller', 'foreign'],
      [CONTROLLER, 'web'],
    ]);
    expect(status.parents[0]).toBe(theirs);
  });

  it('keeps our entry in place when merging an update', () => {
    const ours: RouteParentStatus = {
      parentRef: { name: 'web' },
      controllerName: CONTROLLER,
      conditions: [],
    };
    const theirs: RouteParentStatus = {
      parentRef: { name: 'web' },
      controllerName: 'example.com/x',
      conditions: [],
    };
    const updated = {
      ...ours,
      conditions: [
        {
          type: 'Accepted',
          status: 'True' as const,
          reason: 'Accepted',
          message: '',
          lastTransitionTime: NOW,
        },
      ],
    };
    expect(mergeRouteParentStatuses([ours, theirs], [updated], CONTROLLER, 'infra')).toEqual([
      updated,
      theirs,
    ]);
  });

  // HTTPRouteObservedGenerationBump
  it('follows a generation bump and keeps lastTransitionTime of unchanged conditions', () => {
    const route = store.get('HTTPRoute', 'infra', 'plain') as HTTPRoute;
    const first = evaluateRoute(route, store, { controllerName: CONTROLLER, now: NOW });
    const bumped: HTTPRoute = {
      ...route,
      metadata: { ...route.metadata, generation: 2 },
      spec: { ...route.spec, hostnames: ['new.example.com'] },
      status: routeStatusOf(route, first, CONTROLLER),
    };
    const second = evaluateRoute(bumped, store, { controllerName: CONTROLLER, now: LATER });
    expect(parent(second)('Accepted')).toMatchObject({
      status: 'True',
      observedGeneration: 2,
      lastTransitionTime: NOW,
    });
  });

  // GatewayWithAttachedRoutes
  it('counts accepted routes per listener for the Gateway status', () => {
    const routes = store
      .list('HTTPRoute')
      .map((route) => evaluateRoute(route, store, { controllerName: CONTROLLER, now: NOW }));
    const gateway = store.get('Gateway', 'infra', 'web') as Gateway;
    const status = computeGatewayStatus(gateway, store, {
      controllerName: CONTROLLER,
      now: NOW,
      attachedRoutes: countAttachedRoutes(routes),
    });
    expect(status?.listeners?.map((l) => [l.name, l.attachedRoutes])).toEqual([
      ['http', 3], // plain, whole-gateway, two-parents
      ['wildcard', 1], // whole-gateway
      ['team-apps', 1], // apps-by-label
    ]);
  });
});

describe('allowedRoutes.namespaces.from: Selector without a selector', () => {
  // The field is optional in the CRD; no selector selects no namespace (it matched every one before).
  it.each([
    ['absent', { from: 'Selector' }],
    ['null', { from: 'Selector', selector: null }],
  ])('with the selector %s the listener is valid and admits no route', (_, namespaces) => {
    const store = storeOf('base.yaml', 'http-routes.yaml');
    const gateway = store.get('Gateway', 'infra', 'web') as Gateway;
    const listeners = gateway.spec.listeners.map((l) =>
      l.name === 'team-apps' ? { ...l, allowedRoutes: { namespaces } } : l,
    );
    store.upsert({ ...gateway, spec: { ...gateway.spec, listeners } } as never);
    expect(parent(evaluate(store, 'apps', 'apps-by-label'))('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
    const status = computeGatewayStatus(store.get('Gateway', 'infra', 'web') as Gateway, store, {
      controllerName: CONTROLLER,
      now: NOW,
      attachedRoutes: new Map(),
    });
    const teamApps = status?.listeners?.find((l) => l.name === 'team-apps');
    expect(findCondition(teamApps?.conditions, 'Accepted')).toMatchObject({ status: 'True' });
  });
});

describe('a route hostname the CRD or Envoy refuses', () => {
  it('is not accepted, with UnsupportedValue naming the hostname (Envoy would NACK its virtual host)', () => {
    const store = storeOf('base.yaml', 'http-routes.yaml');
    const route = store.get('HTTPRoute', 'infra', 'plain') as HTTPRoute;
    store.upsert({
      ...route,
      spec: { ...route.spec, hostnames: ['ok.example.com', 'evil.example.com\r\n'] },
    });
    const condition = parent(evaluate(store, 'infra', 'plain'))('Accepted');
    expect(condition).toMatchObject({ status: 'False', reason: 'UnsupportedValue' });
    expect(condition?.message).toMatch(
      /^spec\.hostnames\[1\]: "evil\.example\.com\\r\\n" is not a lower-case DNS name/,
    );
  });
});

describe('attachedRoutes on listeners with unresolved references', () => {
  it('still counts routes accepted on an HTTPS listener whose certificate is missing', () => {
    const store = storeOf('base.yaml', 'gateways-invalid-tls.yaml');
    const route: HTTPRoute = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'to-broken-https', namespace: 'infra', generation: 1 },
      spec: {
        parentRefs: [{ name: 'certificate-secret-missing' }],
        rules: [{ backendRefs: [{ name: 'web', port: 8080 }] }],
      },
    };
    const evaluation = evaluateRoute(route, store, { controllerName: CONTROLLER, now: NOW });
    expect(parent(evaluation)('Accepted')).toMatchObject({ status: 'True' });
    const gateway = store.get('Gateway', 'infra', 'certificate-secret-missing') as Gateway;
    const status = computeGatewayStatus(gateway, store, {
      controllerName: CONTROLLER,
      now: NOW,
      attachedRoutes: countAttachedRoutes([evaluation]),
    });
    expect(status?.listeners?.[0]).toMatchObject({ name: 'https', attachedRoutes: 1 });
    expect(findCondition(status?.listeners?.[0]?.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
    });
  });
});

describe('HTTPRoute backendRefs', () => {
  const store = storeOf('base.yaml', 'http-routes.yaml', 'http-route-backends.yaml');

  it.each([
    ['unknown-kind', 'InvalidKind', /example.com\/Bucket/],
    ['missing-service', 'BackendNotFound', /Service infra\/no-such-service not found/],
    ['other-namespace', 'RefNotPermitted', /Service backends\/remote/],
    ['unexposed-port', 'BackendNotFound', /has no port 9999/],
    ['no-port', 'BackendNotFound', /port: required/],
    ['udp-service', 'UnsupportedProtocol', /is UDP/],
  ])('%s: accepted, ResolvedRefs False %s', (name, reason, message) => {
    const conditions = parent(evaluate(store, 'infra', name));
    expect(conditions('Accepted')).toMatchObject({ status: 'True' });
    expect(conditions('ResolvedRefs')).toMatchObject({ status: 'False', reason });
    expect(conditions('ResolvedRefs')?.message).toMatch(message);
  });

  it('resolves a cross-namespace backend once granted, and refuses it again when the grant goes', () => {
    const granted = storeOf(
      'base.yaml',
      'http-routes.yaml',
      'http-route-backends.yaml',
      'grant-services-to-infra-routes.yaml',
    );
    expect(parent(evaluate(granted, 'infra', 'other-namespace'))('ResolvedRefs')).toMatchObject({
      status: 'True',
    });
    granted.delete({ kind: 'ReferenceGrant', namespace: 'backends', name: 'remote-for-infra-routes' });
    expect(parent(evaluate(granted, 'infra', 'other-namespace'))('ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'RefNotPermitted',
    });
  });

  it('resolves ready endpoints of the Service port and keeps the broken share of the weight', () => {
    const evaluation = evaluate(store, 'infra', 'half-broken');
    const [good, bad] = evaluation.rules[0]?.backends ?? [];
    expect(good).toMatchObject({ weight: 3, result: { ok: true } });
    expect(good?.result.ok && good.result.backend).toMatchObject({
      kind: 'Service',
      port: 8080,
      endpoints: [
        { address: '10.0.0.1', port: 3000 },
        { address: '10.0.0.2', port: 3000 },
      ],
    });
    expect(bad).toMatchObject({ weight: 1, result: { ok: false, reason: 'BackendNotFound' } });
  });
});

describe('HTTPRoute rules', () => {
  const store = storeOf('base.yaml', 'http-routes.yaml', 'http-route-rules.yaml');

  it('does not accept a route whose only rule has a regular expression that does not compile', () => {
    const accepted = parent(evaluate(store, 'infra', 'bad-regex'))('Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason: 'UnsupportedValue' });
    expect(accepted?.message).toMatch(/spec.rules\[0\].matches\[0\].path.value: invalid regular expression/);
  });

  it('drops only the invalid rule and says so in PartiallyInvalid', () => {
    const conditions = parent(evaluate(store, 'infra', 'one-bad-rule'));
    expect(conditions('Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(conditions('PartiallyInvalid')).toMatchObject({ status: 'True', reason: 'UnsupportedValue' });
    expect(conditions('PartiallyInvalid')?.message).toMatch(
      /^Dropped Rule 1: spec.rules\[1\].matches\[0\].headers\[0\]/,
    );
  });

  it.each([
    ['unsupported-filter', 'UnsupportedValue', /ExternalAuth filters are not supported/],
    ['redirect-and-rewrite', 'IncompatibleFilters', /RequestRedirect and URLRewrite/],
    ['prefix-rewrite-on-exact', 'UnsupportedValue', /ReplacePrefixMatch/],
    [
      'rewrite-on-backend',
      'UnsupportedValue',
      /spec\.rules\[0\]\.backendRefs\[0\]\.filters\[0\]\.type: URLRewrite is not supported on a backendRef/,
    ],
  ])('%s: Accepted False %s', (name, reason, message) => {
    const accepted = parent(evaluate(store, 'infra', name))('Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason });
    expect(accepted?.message).toMatch(message);
  });

  it('accepts every supported match and filter, resolving mirror backends too', () => {
    const evaluation = evaluate(store, 'infra', 'all-the-supported-things');
    expect(parent(evaluation)('Accepted')).toMatchObject({ status: 'True' });
    expect(parent(evaluation)('PartiallyInvalid')).toBeUndefined();
    expect(evaluation.rules[0]?.mirrors[0]?.result).toMatchObject({
      ok: true,
      backend: { kind: 'Service', port: 8080 },
    });
  });
});
