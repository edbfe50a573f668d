import { describe, expect, it } from 'vitest';
import { buildGatewayIR } from '../evaluation/build-gateway-ir.ts';
import type { Gateway, ListenerSet } from '../resources/gateway-api.ts';
import { findCondition } from '../shared/conditions.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import { computeGatewayStatus, computeListenerSetStatus } from './gateway-status.ts';
import { countAttachedRoutes, evaluateRoute } from './route-status.ts';

const store = storeOf('base.yaml', 'listener-sets.yaml');
const evaluations = store
  .list('HTTPRoute')
  .map((r) => evaluateRoute(r, store, { controllerName: CONTROLLER, now: NOW }));
const options = { controllerName: CONTROLLER, now: NOW, attachedRoutes: countAttachedRoutes(evaluations) };

function setStatus(namespace: string, name: string) {
  return computeListenerSetStatus(store.get('ListenerSet', namespace, name) as ListenerSet, store, options);
}

describe('ListenerSet', () => {
  it('is accepted by a Gateway that allows it and counts its attached routes per listener', () => {
    const status = setStatus('apps', 'team-a');
    expect(findCondition(status?.conditions, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'ListenersNotValid',
    });
    const a = status?.listeners?.find((l) => l.name === 'a');
    expect(a?.attachedRoutes).toBe(1);
    expect(findCondition(a?.conditions, 'Accepted')).toMatchObject({ status: 'True' });
  });

  it('loses a conflict with its parent Gateway, and a later set loses to an earlier one', () => {
    const clash = setStatus('apps', 'team-a')?.listeners?.find((l) => l.name === 'clash');
    for (const type of ['Conflicted', 'Accepted', 'Programmed']) {
      expect(findCondition(clash?.conditions, type)).toMatchObject({
        status: type === 'Conflicted' ? 'True' : 'False',
        reason: 'HostnameConflict',
      });
    }
    const gateway = computeGatewayStatus(store.get('Gateway', 'infra', 'shared') as Gateway, store, options);
    expect(findCondition(gateway?.listeners?.[0]?.conditions, 'Conflicted')).toMatchObject({
      status: 'False',
    });
    const b = setStatus('apps', 'team-b');
    for (const type of ['Accepted', 'Programmed']) {
      expect(findCondition(b?.conditions, type)).toMatchObject({
        status: 'False',
        reason: 'ListenersNotValid',
      });
    }
    expect(
      findCondition(
        setStatus('apps', 'team-a')?.listeners?.find((l) => l.name === 'a')?.conditions,
        'Conflicted',
      ),
    ).toMatchObject({
      status: 'False',
    });
  });

  it.each([
    ['infra', 'into-closed'],
    ['apps', 'from-apps'],
  ])('%s/%s is refused with NotAllowed', (namespace, name) => {
    const status = setStatus(namespace, name);
    expect(findCondition(status?.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowed',
    });
    expect(findCondition(status?.conditions, 'Programmed')).toMatchObject({
      status: 'False',
      reason: 'NotAllowed',
    });
    expect(status?.listeners).toEqual([]);
  });

  it('is accepted from the Gateway namespace when allowedListeners says Same', () => {
    expect(findCondition(setStatus('infra', 'from-infra')?.conditions, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
    });
  });

  it('reports attachedListenerSets on the Gateway', () => {
    const gateway = computeGatewayStatus(store.get('Gateway', 'infra', 'shared') as Gateway, store, options);
    expect(gateway?.attachedListenerSets).toBe(1);
  });

  it('refuses routes whose parent ListenerSet is not attached', () => {
    const refused = evaluations.find((e) => e.route.name === 'on-refused-set');
    expect(findCondition(refused?.parents[0]?.status.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingParent',
    });
  });

  it('puts the ListenerSet listeners in the parent Gateway IR', () => {
    const ir = buildGatewayIR(store.get('Gateway', 'infra', 'shared') as Gateway, store, evaluations, {
      controllerName: CONTROLLER,
    });
    const port80 = ir?.ports.find((p) => p.port === 80);
    expect(port80?.listeners.map((l) => `${l.owner.kind}/${l.name}`)).toEqual([
      'ListenerSet/a',
      'Gateway/http',
    ]);
    expect(port80?.listeners[0]?.routes.map((r) => r.route.name)).toEqual(['on-team-a']);
  });
});

describe('ListenerSet listeners that lose or cannot be served', () => {
  const conflicts = storeOf('base.yaml', 'listener-set-conflicts.yaml');
  const statusOf = (namespace: string, name: string) =>
    computeListenerSetStatus(conflicts.get('ListenerSet', namespace, name) as ListenerSet, conflicts, {
      controllerName: CONTROLLER,
      now: NOW,
      attachedRoutes: new Map(),
    });

  it("a TCP listener loses to the Gateway's HTTP listener on its port; the set's own HTTP listener stays valid", () => {
    const status = statusOf('infra', 'with-tcp');
    expect(findCondition(status?.conditions, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'ListenersNotValid',
    });
    const [web, raw] = ['web', 'raw'].map((n) => status?.listeners?.find((l) => l.name === n)?.conditions);
    expect(findCondition(web, 'Accepted')).toMatchObject({ status: 'True' });
    expect(findCondition(web, 'Conflicted')).toMatchObject({ status: 'False' });
    expect(findCondition(raw, 'Accepted')).toMatchObject({ status: 'False', reason: 'ProtocolConflict' });
  });

  it('a set whose only listener has no usable certificate (RefNotPermitted) is not accepted', () => {
    const status = statusOf('apps', 'foreign-certificate');
    for (const type of ['Accepted', 'Programmed']) {
      expect(findCondition(status?.conditions, type)).toMatchObject({
        status: 'False',
        reason: 'ListenersNotValid',
      });
    }
    expect(findCondition(status?.listeners?.[0]?.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'RefNotPermitted',
    });
  });
});
