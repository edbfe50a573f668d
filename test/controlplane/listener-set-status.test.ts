// ListenerSet statuses against a real kube-apiserver (the upstream CRDs): a ListenerSet its Gateway allows is
// Accepted with one status entry per listener (supported kinds, conditions, the routes attached to it); one the
// Gateway does not allow is Accepted False NotAllowed with no listener entries; the Gateway counts the ListenerSets
// attached to it. Read back from the apiserver, as users and the conformance suite read them.
import { expect } from 'vitest';
import type { KubeObject } from '../../sources/kubernetes/client.ts';
import { kubeTest } from '../harness/kube/index.ts';
import {
  applyWithOwnGatewayClass,
  condition,
  planesStoppedAfterEach,
  statusCondition,
  waitForObject,
} from './kubernetes-harness.ts';

const start = planesStoppedAfterEach();

interface ListenerEntry {
  name: string;
  attachedRoutes: number;
  supportedKinds: { group?: string; kind: string }[];
  conditions: unknown;
}

const listenersOf = (object: KubeObject) =>
  (object.status as { listeners?: ListenerEntry[] } | undefined)?.listeners ?? [];

kubeTest(
  'ListenerSet status: Accepted with per-listener entries and attachedRoutes, NotAllowed when the Gateway refuses it',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = await applyWithOwnGatewayClass(
      kube,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared, namespace: ${ns}}
spec:
  gatewayClassName: ${ns}
  allowedListeners: {namespaces: {from: Same}}
  listeners: [{name: http, protocol: HTTP, port: 80, hostname: gateway.example.com}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: closed, namespace: ${ns}}
spec:
  gatewayClassName: ${ns}
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: team, namespace: ${ns}}
spec:
  parentRef: {name: shared}
  listeners:
    - {name: one, protocol: HTTP, port: 80, hostname: one.example.com}
    - {name: two, protocol: HTTP, port: 80, hostname: two.example.com}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: refused, namespace: ${ns}}
spec:
  parentRef: {name: closed}
  listeners: [{name: extra, protocol: HTTP, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: ${ns}}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-all, namespace: ${ns}}
spec:
  parentRefs: [{group: gateway.networking.k8s.io, kind: ListenerSet, name: team}]
  rules: [{backendRefs: [{name: app, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-one, namespace: ${ns}}
spec:
  parentRefs: [{group: gateway.networking.k8s.io, kind: ListenerSet, name: team, sectionName: one}]
  rules: [{backendRefs: [{name: app, port: 8080}]}]
`,
    );
    const running = await start(controllerName);

    const team = await waitForObject(
      running,
      'ListenerSet',
      ns,
      'team',
      (object) =>
        statusCondition(object, 'Accepted')?.status === 'True' &&
        listenersOf(object).find((l) => l.name === 'one')?.attachedRoutes === 2,
      'Accepted with two routes on listener one',
    );
    expect(statusCondition(team, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
    });
    expect(statusCondition(team, 'Programmed')).toBeDefined();
    expect(listenersOf(team).map((l) => [l.name, l.attachedRoutes])).toEqual([
      ['one', 2],
      ['two', 1],
    ]);
    for (const listener of listenersOf(team)) {
      expect(listener.supportedKinds).toEqual(
        expect.arrayContaining([{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }]),
      );
      expect(condition(listener.conditions, 'Accepted')).toMatchObject({
        status: 'True',
        reason: 'Accepted',
      });
      expect(condition(listener.conditions, 'ResolvedRefs')).toMatchObject({ status: 'True' });
      expect(condition(listener.conditions, 'Conflicted')).toMatchObject({ status: 'False' });
    }

    const refused = await waitForObject(
      running,
      'ListenerSet',
      ns,
      'refused',
      (object) => statusCondition(object, 'Accepted')?.reason === 'NotAllowed',
      'Accepted False NotAllowed',
    );
    expect(statusCondition(refused, 'Accepted')?.status).toBe('False');
    expect(statusCondition(refused, 'Programmed')?.status).toBe('False');
    expect(listenersOf(refused)).toEqual([]);

    const shared = await waitForObject(
      running,
      'Gateway',
      ns,
      'shared',
      (object) =>
        (object.status as { attachedListenerSets?: number } | undefined)?.attachedListenerSets === 1,
      'attachedListenerSets 1',
    );
    expect(statusCondition(shared, 'Accepted')?.status).toBe('True');
  },
);
