// A Gateway that moves to another controller's GatewayClass loses everything we wrote on it, in the real API
// server: applying an empty condition list with our field manager removes the conditions and listeners we owned.
import { expect } from 'vitest';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import {
  startKubernetesControlPlane,
  statusCondition,
  waitForObject,
  yamlObjects,
} from './kubernetes-harness.ts';

kubeTest('a Gateway moved to another controller’s class keeps none of our status', async ({ kube }) => {
  const ns = kube.namespace;
  const controllerName = `switchyard.dev/${ns}`;
  const gateway = (className: string) =>
    yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: moving, namespace: ${ns}}
spec:
  gatewayClassName: ${className}
  listeners: [{name: http, protocol: HTTP, port: 80}]
`);
  await serverSideApply(kube.kubeConfig, [
    ...yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: ours-${ns}}
spec: {controllerName: ${controllerName}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: theirs-${ns}}
spec: {controllerName: example.com/another-${ns}}
`),
    ...gateway(`ours-${ns}`),
  ]);
  const running = await startKubernetesControlPlane(controllerName);
  try {
    await waitForObject(
      running,
      'Gateway',
      ns,
      'moving',
      (object) => statusCondition(object, 'Accepted')?.status === 'True',
      'our Accepted condition',
    );
    await serverSideApply(kube.kubeConfig, gateway(`theirs-${ns}`));
    const moved = await waitForObject(
      running,
      'Gateway',
      ns,
      'moving',
      (object) => {
        const status = object.status as
          | { conditions?: { message?: string }[]; listeners?: unknown[] }
          | undefined;
        // What the API server puts back where none is left: the CRD's default conditions (Pending, "Waiting for
        // controller"), as on a Gateway no controller has seen yet — not ours.
        const onlyDefaults = (status?.conditions ?? []).every(
          (condition) => condition.message === 'Waiting for controller',
        );
        return onlyDefaults && (status?.listeners ?? []).length === 0;
      },
      'no conditions or listeners of ours',
    );
    // Nothing of the status stays ours: the empty condition list we apply (an empty status would be null, which the
    // server refuses) is replaced by the CRD's default conditions, which no field manager owns.
    const ours = (
      moved.metadata as { managedFields?: { manager: string; subresource?: string; fieldsV1?: unknown }[] }
    ).managedFields?.filter((m) => m.manager === 'switchyard' && m.subresource === 'status');
    expect(ours?.map((m) => m.fieldsV1) ?? []).toEqual([]);
  } finally {
    await running.stop();
  }
});
