import { describe, expect, it } from 'vitest';
import type { Gateway, Route, RouteKind } from '../resources/gateway-api.ts';
import { findCondition } from '../shared/conditions.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import { computeGatewayStatus } from './gateway-status.ts';
import { countAttachedRoutes, evaluateRoute } from './route-status.ts';

const store = storeOf('base.yaml', 'l4-and-grpc-routes.yaml');

function conditionsOf(kind: RouteKind, name: string, namespace = 'infra') {
  const route = store.get(kind, namespace, name) as Route | undefined;
  if (route === undefined) throw new Error(`no ${kind} ${namespace}/${name}`);
  const entry = evaluateRoute(route, store, { controllerName: CONTROLLER, now: NOW }).parents[0];
  return (type: string) => findCondition(entry?.status.conditions, type);
}

describe('TLSRoute', () => {
  it('attaches to a TLS listener when its hostnames intersect', () => {
    expect(conditionsOf('TLSRoute', 'tls-ok')('Accepted')).toMatchObject({ status: 'True' });
    expect(conditionsOf('TLSRoute', 'tls-ok')('ResolvedRefs')).toMatchObject({ status: 'True' });
  });

  it('is refused with NoMatchingListenerHostname when they do not', () => {
    expect(conditionsOf('TLSRoute', 'tls-wrong-host')('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingListenerHostname',
    });
  });

  it('is refused by an HTTP listener', () => {
    expect(conditionsOf('TLSRoute', 'tls-on-http')('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
  });
});

describe('TCPRoute', () => {
  it('attaches to a TCP listener', () => {
    expect(conditionsOf('TCPRoute', 'tcp-ok')('Accepted')).toMatchObject({ status: 'True' });
  });

  // TCPRouteInvalidBackendRefNonexistent, TCPRouteInvalidCrossNamespaceBackendRef, TCPRouteInvalidNonTCPListener
  it.each([
    ['tcp-missing-backend', 'ResolvedRefs', 'BackendNotFound'],
    ['tcp-other-namespace', 'ResolvedRefs', 'RefNotPermitted'],
    ['tcp-on-http', 'Accepted', 'NotAllowedByListeners'],
  ])('%s: %s False %s', (name, type, reason) => {
    expect(conditionsOf('TCPRoute', name)(type)).toMatchObject({ status: 'False', reason });
  });
});

describe('UDPRoute', () => {
  it('attaches to a UDP listener and resolves a UDP Service port', () => {
    expect(conditionsOf('UDPRoute', 'udp-ok')('Accepted')).toMatchObject({ status: 'True' });
    expect(conditionsOf('UDPRoute', 'udp-ok')('ResolvedRefs')).toMatchObject({ status: 'True' });
  });

  // UDPRouteInvalidCrossNamespaceBackendRef, UDPRouteNotAllowedByListeners and friends
  it.each([
    ['udp-other-namespace', 'ResolvedRefs', 'RefNotPermitted'],
    ['udp-missing-backend', 'ResolvedRefs', 'BackendNotFound'],
    ['udp-to-tcp-port', 'ResolvedRefs', 'UnsupportedProtocol'],
    ['udp-on-tcp', 'Accepted', 'NotAllowedByListeners'],
  ])('%s: %s False %s', (name, type, reason) => {
    expect(conditionsOf('UDPRoute', name)(type)).toMatchObject({ status: 'False', reason });
  });

  it('is refused by a listener that allows only its own namespace', () => {
    expect(conditionsOf('UDPRoute', 'udp-from-apps', 'apps')('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
  });
});

describe('GRPCRoute', () => {
  it('attaches to HTTP listeners with method and header matches and supported filters', () => {
    expect(conditionsOf('GRPCRoute', 'grpc-ok')('Accepted')).toMatchObject({ status: 'True' });
  });

  it.each([
    ['grpc-bad-regex', /invalid regular expression/],
    ['grpc-url-rewrite', /URLRewrite is not a GRPCRoute filter/],
  ])('%s: Accepted False UnsupportedValue', (name, message) => {
    const accepted = conditionsOf('GRPCRoute', name)('Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason: 'UnsupportedValue' });
    expect(accepted?.message).toMatch(message);
  });

  it('is refused by a TCP listener', () => {
    expect(conditionsOf('GRPCRoute', 'grpc-on-tcp')('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
  });
});

describe('attachedRoutes across route kinds', () => {
  it('counts each kind on its own listeners only', () => {
    const kinds: RouteKind[] = ['TLSRoute', 'TCPRoute', 'UDPRoute', 'GRPCRoute', 'HTTPRoute'];
    const evaluations = kinds.flatMap((kind) =>
      store
        .list(kind)
        .map((route) => evaluateRoute(route as Route, store, { controllerName: CONTROLLER, now: NOW })),
    );
    const gateway = store.get('Gateway', 'infra', 'mixed') as Gateway;
    const status = computeGatewayStatus(gateway, store, {
      controllerName: CONTROLLER,
      now: NOW,
      attachedRoutes: countAttachedRoutes(evaluations),
    });
    // tls: tls-ok; tcp: tcp-ok + two with bad backends (still accepted); udp: four accepted; http: grpc-ok
    expect(status?.listeners?.map((l) => [l.name, l.attachedRoutes])).toEqual([
      ['tls', 1],
      ['tcp', 3],
      ['udp', 4],
      ['http', 1],
    ]);
  });
});
