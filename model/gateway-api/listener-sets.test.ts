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
    expect(findCondition(clash?.conditions, 'Conflicted')).toMatchObject({
      status: 'True',
      reason: 'HostnameConflict',
    });
    const gateway = computeGatewayStatus(store.get('Gateway', 'infra', 'shared') as Gateway, store, options);
    expect(findCondition(gateway?.listeners?.[0]?.conditions, 'Conflicted')).toMatchObject({
      status: 'False',
    });
    const b = setStatus('apps', 'team-b');
    expect(findCondition(b?.conditions, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'ListenersNotValid',
    });
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
      reason: 'Invalid',
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
