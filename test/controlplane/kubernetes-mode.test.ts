// The control plane against a real kube-apiserver: objects created with the API, statuses read back from it.
import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'vitest';
import type { KubeObject } from '../../sources/kubernetes/client.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import {
  condition,
  gatewayClassYaml,
  gatewayYaml,
  parentStatus,
  planesStoppedAfterEach,
  statusCondition,
  waitForObject,
  yamlObjects,
} from './kubernetes-harness.ts';

const start = planesStoppedAfterEach();

const TWO_LISTENERS =
  '[{name: http, protocol: HTTP, port: 80}, {name: other, protocol: HTTP, port: 8080, hostname: other.example.com}]';

function gatewayAndClass(namespace: string, controllerName: string, className: string, gatewayName = 'gw') {
  return yamlObjects(`
${gatewayClassYaml(className, controllerName)}
---
${gatewayYaml(namespace, gatewayName, className, TWO_LISTENERS)}
`);
}

kubeTest(
  'GatewayWithAttachedRoutes: statuses written to the API server, attached routes counted',
  async ({ kube }) => {
    const controllerName = `switchyard.dev/${kube.namespace}`;
    await serverSideApply(kube.kubeConfig, [
      ...gatewayAndClass(kube.namespace, controllerName, kube.namespace),
      ...yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: ${kube.namespace}}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules: [{matches: [{path: {type: PathPrefix, value: /}}]}]
`),
    ]);
    const plane = await start(controllerName);
    const gateway = await waitForObject(plane, 'Gateway', kube.namespace, 'gw', (gw) => {
      const listeners = (gw.status as { listeners?: { name: string; attachedRoutes: number }[] } | undefined)
        ?.listeners;
      return listeners?.find((l) => l.name === 'http')?.attachedRoutes === 1;
    });
    expect(statusCondition(gateway, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
    });
    const listeners = (gateway.status as { listeners: { name: string; attachedRoutes: number }[] }).listeners;
    expect(listeners.find((l) => l.name === 'other')?.attachedRoutes).toBe(0);
    const route = await waitForObject(
      plane,
      'HTTPRoute',
      kube.namespace,
      'web',
      (r) => parentStatus(r, controllerName) !== undefined,
    );
    expect(condition(parentStatus(route, controllerName)?.conditions, 'Accepted')).toMatchObject({
      status: 'True',
    });
    const gatewayClass = await waitForObject(
      plane,
      'GatewayClass',
      undefined,
      kube.namespace,
      (gc) => statusCondition(gc, 'Accepted')?.status === 'True',
    );
    expect(statusCondition(gatewayClass, 'SupportedVersion')?.status).toBe('True');
  },
);

kubeTest(
  'ReferenceGrant: a cross-namespace backend is refused, allowed by a grant, refused again when revoked',
  async ({ kube }) => {
    const controllerName = `switchyard.dev/${kube.namespace}`;
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    const backends = `${kube.namespace}-backends`;
    await core.createNamespace({ body: { metadata: { name: backends } } });
    try {
      await serverSideApply(kube.kubeConfig, [
        ...gatewayAndClass(kube.namespace, controllerName, kube.namespace),
        ...yamlObjects(`
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: ${backends}}
spec: {ports: [{port: 8080}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: ${kube.namespace}}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: echo, namespace: ${backends}, port: 8080}]}]
`),
      ]);
      const plane = await start(controllerName);
      const resolvedRefs = (reason: string) => (route: Parameters<typeof parentStatus>[0]) =>
        condition(parentStatus(route, controllerName)?.conditions, 'ResolvedRefs')?.reason === reason;
      await waitForObject(
        plane,
        'HTTPRoute',
        kube.namespace,
        'web',
        resolvedRefs('RefNotPermitted'),
        'RefNotPermitted',
      );

      const [grant] = await serverSideApply(
        kube.kubeConfig,
        yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: allow-routes, namespace: ${backends}}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ${kube.namespace}}]
  to: [{group: '', kind: Service}]
`),
      );
      await waitForObject(
        plane,
        'HTTPRoute',
        kube.namespace,
        'web',
        resolvedRefs('ResolvedRefs'),
        'ResolvedRefs after the grant',
      );

      const grants = plane.resources.get('ReferenceGrant')!;
      await plane.client.json(
        'DELETE',
        `/apis/${grants.group}/${grants.version}/namespaces/${backends}/referencegrants/${grant?.metadata?.name}`,
      );
      await waitForObject(
        plane,
        'HTTPRoute',
        kube.namespace,
        'web',
        resolvedRefs('RefNotPermitted'),
        'RefNotPermitted after revoking',
      );
    } finally {
      await core.deleteNamespace({ name: backends });
    }
  },
);

kubeTest(
  'ObservedGenerationBump: a spec change moves observedGeneration on every condition',
  async ({ kube }) => {
    const controllerName = `switchyard.dev/${kube.namespace}`;
    await serverSideApply(kube.kubeConfig, gatewayAndClass(kube.namespace, controllerName, kube.namespace));
    const plane = await start(controllerName);
    const allAt = (generation: number) => (gw: KubeObject) => {
      const status = gw.status as
        | {
            conditions?: { observedGeneration?: number }[];
            listeners?: { conditions: { observedGeneration?: number }[] }[];
          }
        | undefined;
      const conditions = [
        ...(status?.conditions ?? []),
        ...(status?.listeners ?? []).flatMap((l) => l.conditions),
      ];
      return conditions.length > 0 && conditions.every((c) => c.observedGeneration === generation);
    };
    await waitForObject(plane, 'Gateway', kube.namespace, 'gw', allAt(1), 'observedGeneration 1');
    await serverSideApply(
      kube.kubeConfig,
      yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ${kube.namespace}}
spec:
  gatewayClassName: ${kube.namespace}
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - {name: other, protocol: HTTP, port: 8080, hostname: other.example.com}
    - {name: third, protocol: HTTP, port: 8081}
`),
    );
    const gateway = await waitForObject(
      plane,
      'Gateway',
      kube.namespace,
      'gw',
      allAt(2),
      'observedGeneration 2',
    );
    expect((gateway.status as { listeners: unknown[] }).listeners).toHaveLength(3);
  },
);

kubeTest(
  'two controllers share one HTTPRoute status.parents without overwriting each other',
  async ({ kube }) => {
    const first = `switchyard.dev/${kube.namespace}-a`;
    const second = `switchyard.dev/${kube.namespace}-b`;
    await serverSideApply(kube.kubeConfig, [
      ...gatewayAndClass(kube.namespace, first, `${kube.namespace}-a`, 'gw-a'),
      ...gatewayAndClass(kube.namespace, second, `${kube.namespace}-b`, 'gw-b'),
      ...yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shared, namespace: ${kube.namespace}}
spec:
  parentRefs: [{name: gw-a}, {name: gw-b}]
  rules: [{matches: [{path: {type: PathPrefix, value: /}}]}]
`),
    ]);
    const a = await start(first);
    await start(second);
    const route = await waitForObject(
      a,
      'HTTPRoute',
      kube.namespace,
      'shared',
      (r) => parentStatus(r, first) !== undefined && parentStatus(r, second) !== undefined,
      'entries of both controllers',
    );
    const parents = (route.status as { parents: { controllerName: string; parentRef: { name: string } }[] })
      .parents;
    expect(parents.map((p) => [p.controllerName, p.parentRef.name]).sort()).toEqual([
      [first, 'gw-a'],
      [second, 'gw-b'],
    ]);
    expect(condition(parentStatus(route, first)?.conditions, 'Accepted')?.status).toBe('True');
    expect(condition(parentStatus(route, second)?.conditions, 'Accepted')?.status).toBe('True');
  },
);

kubeTest('a finalizer keeps a GatewayClass while Gateways use it', async ({ kube }) => {
  const controllerName = `switchyard.dev/${kube.namespace}`;
  const finalizer = 'gateway-exists-finalizer.gateway.networking.k8s.io';
  await serverSideApply(kube.kubeConfig, gatewayAndClass(kube.namespace, controllerName, kube.namespace));
  const plane = await start(controllerName);
  const finalizers = (gc: KubeObject) => (gc.metadata as { finalizers?: string[] }).finalizers ?? [];
  await waitForObject(
    plane,
    'GatewayClass',
    undefined,
    kube.namespace,
    (gc) => finalizers(gc).includes(finalizer),
    'the finalizer',
  );

  // Deleting the class while its Gateway exists only marks it for deletion.
  const classes = plane.resources.get('GatewayClass')!;
  await plane.client.json(
    'DELETE',
    `/apis/${classes.group}/${classes.version}/gatewayclasses/${kube.namespace}`,
  );
  const marked = await waitForObject(
    plane,
    'GatewayClass',
    undefined,
    kube.namespace,
    (gc) => typeof (gc.metadata as { deletionTimestamp?: string }).deletionTimestamp === 'string',
  );
  expect(finalizers(marked)).toContain(finalizer);

  // The last Gateway going lets the class go.
  const gateways = plane.resources.get('Gateway')!;
  await plane.client.json(
    'DELETE',
    `/apis/${gateways.group}/${gateways.version}/namespaces/${kube.namespace}/gateways/gw`,
  );
  for (let attempt = 0; attempt < 150; attempt++) {
    if ((await plane.client.get(classes, undefined, kube.namespace)) === undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the GatewayClass was not deleted after its last Gateway went away');
});
