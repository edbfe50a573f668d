// InferencePool status against a real kube-apiserver with the upstream InferencePool v1 CRD: the scenarios of
// the Inference Extension's status conformance tests (InferencePoolAccepted, InferencePoolInvalidEPPService,
// InferencePoolMissingEPPRef, HTTPRouteInvalidInferencePoolRef, InferencePoolResolvedRefsCondition) with our
// own objects, and another controller's parent entry kept.
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { expect, inject } from 'vitest';
import { KubeClient, type KubeObject } from '../../sources/kubernetes/client.ts';
import { discoverResources } from '../../sources/kubernetes/ports.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import {
  condition,
  gatewayClassYaml,
  gatewayYaml,
  parentStatus,
  planesStoppedAfterEach,
  waitForObject,
  yamlObjects,
} from './kubernetes-harness.ts';

const startPlane = planesStoppedAfterEach();

interface PoolParent {
  parentRef: { name: string; namespace?: string; kind?: string };
  controllerName: string;
  conditions: unknown;
}

function parents(pool: KubeObject): PoolParent[] {
  const list = (pool.status as { parents?: PoolParent[] } | undefined)?.parents;
  return Array.isArray(list) ? list : [];
}

function ourParent(pool: KubeObject, controllerName: string, gateway: string): PoolParent | undefined {
  return parents(pool).find((p) => p.controllerName === controllerName && p.parentRef.name === gateway);
}

function world(namespace: string, controllerName: string) {
  return yamlObjects(`
${gatewayClassYaml(namespace, controllerName)}
---
${gatewayYaml(namespace, 'primary', namespace)}
---
${gatewayYaml(namespace, 'secondary', namespace)}
---
apiVersion: v1
kind: Service
metadata: {name: vllm-epp, namespace: ${namespace}}
spec: {ports: [{name: grpc, port: 9002}]}
---
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: vllm, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: 8000}]
  endpointPickerRef: {name: vllm-epp, port: {number: 9002}}
---
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: invalid-epp, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: 8000}]
  endpointPickerRef: {name: no-such-epp, port: {number: 9002}}
---
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: no-epp, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: 8000}]
`);
}

function routeTo(namespace: string, name: string, gateway: string, pool: string) {
  return yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  parentRefs: [{name: ${gateway}}]
  rules:
    - backendRefs: [{group: inference.networking.k8s.io, kind: InferencePool, name: ${pool}}]
`);
}

kubeTest(
  'InferencePool statuses: Accepted, invalid and missing endpoint picker, route to a missing pool',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = `switchyard.dev/${ns}`;
    await serverSideApply(kube.kubeConfig, [
      ...world(ns, controllerName),
      ...routeTo(ns, 'to-vllm', 'primary', 'vllm'),
      ...routeTo(ns, 'to-invalid-epp', 'primary', 'invalid-epp'),
      ...routeTo(ns, 'to-no-epp', 'primary', 'no-epp'),
      ...routeTo(ns, 'to-missing-pool', 'primary', 'missing'),
    ]);
    const plane = await startPlane(controllerName);
    const pool = (name: string) =>
      waitForObject(
        plane,
        'InferencePool',
        ns,
        name,
        (p) => ourParent(p, controllerName, 'primary') !== undefined,
      );

    // InferencePoolAccepted
    const vllm = ourParent(await pool('vllm'), controllerName, 'primary');
    expect(vllm?.parentRef).toMatchObject({ kind: 'Gateway', namespace: ns, name: 'primary' });
    expect(condition(vllm?.conditions, 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(condition(vllm?.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'True',
      reason: 'ResolvedRefs',
    });

    // InferencePoolInvalidEPPService: the route is accepted, the pool's ResolvedRefs is False.
    const invalid = ourParent(await pool('invalid-epp'), controllerName, 'primary');
    expect(condition(invalid?.conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidExtensionRef',
    });
    const toInvalid = await waitForObject(
      plane,
      'HTTPRoute',
      ns,
      'to-invalid-epp',
      (r) => !!parentStatus(r, controllerName),
    );
    expect(condition(parentStatus(toInvalid, controllerName)?.conditions, 'Accepted')).toMatchObject({
      status: 'True',
    });

    // InferencePoolMissingEPPRef: accepted (plain load balancing over the pool's Pods).
    const noEpp = ourParent(await pool('no-epp'), controllerName, 'primary');
    expect(condition(noEpp?.conditions, 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });

    // HTTPRouteInvalidInferencePoolRef
    const toMissing = await waitForObject(
      plane,
      'HTTPRoute',
      ns,
      'to-missing-pool',
      (r) => !!parentStatus(r, controllerName),
    );
    const conditions = parentStatus(toMissing, controllerName)?.conditions;
    expect(condition(conditions, 'Accepted')).toMatchObject({ status: 'True' });
    expect(condition(conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'BackendNotFound',
    });
  },
);

kubeTest(
  'InferencePoolResolvedRefsCondition: a parent per Gateway, removed with the last route, others kept',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = `switchyard.dev/${ns}`;
    const primaryRoute = routeTo(ns, 'for-primary', 'primary', 'vllm');
    const secondaryRoute = routeTo(ns, 'for-secondary', 'secondary', 'vllm');
    await serverSideApply(kube.kubeConfig, [
      ...world(ns, controllerName),
      ...primaryRoute,
      ...secondaryRoute,
    ]);
    // Another controller's entry, written before ours: it must survive every write of ours.
    const client = new KubeClient({ kubeconfig: inject('kubeconfig') });
    const poolResource = (await discoverResources(client, ['InferencePool'])).get('InferencePool')!;
    await client.applyStatus(
      poolResource,
      ns,
      'vllm',
      {
        apiVersion: 'inference.networking.k8s.io/v1',
        kind: 'InferencePool',
        metadata: { name: 'vllm', namespace: ns },
        status: {
          parents: [
            {
              parentRef: {
                group: 'gateway.networking.k8s.io',
                kind: 'Gateway',
                namespace: ns,
                name: 'theirs',
              },
              controllerName: 'example.com/other-controller',
              conditions: [
                {
                  type: 'Accepted',
                  status: 'True',
                  reason: 'Accepted',
                  message: '',
                  lastTransitionTime: '2026-01-01T00:00:00Z',
                },
              ],
            },
          ],
        },
      },
      'other-controller',
    );
    const plane = await startPlane(controllerName);
    const names = (pool: KubeObject) =>
      parents(pool)
        .map((p) => `${p.controllerName}:${p.parentRef.name}`)
        .sort();
    const both = await waitForObject(plane, 'InferencePool', ns, 'vllm', (p) => names(p).length === 3);
    expect(names(both)).toEqual([
      'example.com/other-controller:theirs',
      `${controllerName}:primary`,
      `${controllerName}:secondary`,
    ]);
    for (const gateway of ['primary', 'secondary'])
      expect(condition(ourParent(both, controllerName, gateway)?.conditions, 'Accepted')).toMatchObject({
        status: 'True',
      });

    const objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig);
    await objects.delete(primaryRoute[0]!);
    const one = await waitForObject(plane, 'InferencePool', ns, 'vllm', (p) => names(p).length === 2);
    expect(names(one)).toEqual(['example.com/other-controller:theirs', `${controllerName}:secondary`]);

    await objects.delete(secondaryRoute[0]!);
    const none = await waitForObject(plane, 'InferencePool', ns, 'vllm', (p) => names(p).length === 1);
    expect(names(none)).toEqual(['example.com/other-controller:theirs']);
  },
);
