// The flow of test/e2e/kind/run.sh, run against the suite's real kube-apiserver (no kubelet, so no pod runs):
// the same example.yaml is applied, the controller provisions the Gateway's data plane, the Gateway gets the
// provisioned Service's address and, once its (stand-in) proxy ACKs, Programmed=True; the route is accepted.
// What run.sh checks with curl on a kind cluster, this checks on the objects.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { envoyDataPlaneTemplate } from '../../backends/envoy/data-plane-template.ts';
import {
  condition,
  parentStatus,
  startKubernetesControlPlane,
  waitForObject,
  yamlObjects,
} from '../controlplane/kubernetes-harness.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import { ackingBackendSpec } from '../provisioning/acking-backend.ts';

const EXAMPLE = new URL('./kind/example.yaml', import.meta.url);

kubeTest(
  'the kind end-to-end example, minus the kubelet: provisioned, addressed, Programmed',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = `switchyard.dev/e2e-${ns}`;
    // The example as run.sh applies it, moved into this test's namespace and given names no other test uses.
    const example = readFileSync(EXAMPLE, 'utf8')
      .replaceAll('namespace: default', `namespace: ${ns}`)
      .replaceAll('controllerName: switchyard.dev/gateway-controller', `controllerName: ${controllerName}`)
      .replaceAll('name: switchyard-e2e', `name: e2e-${ns}`)
      .replaceAll('gatewayClassName: switchyard-e2e', `gatewayClassName: e2e-${ns}`)
      .replace(/^ {2}name: e2e$/m, `  name: e2e-${ns}`)
      .replace(/^ {4}name: e2e$/m, `    name: e2e-${ns}`);
    await serverSideApply(kube.kubeConfig, yamlObjects(example));

    const running = await startKubernetesControlPlane(controllerName, {
      provisioning: {
        envoy: { template: envoyDataPlaneTemplate(), xdsAddress: 'switchyard.switchyard-system.svc:18000' },
      },
      backends: { envoy: ackingBackendSpec('backend.envoy') },
    });
    try {
      const gateway = await waitForObject(
        running,
        'Gateway',
        ns,
        'e2e',
        (object) =>
          condition((object.status as { conditions?: unknown })?.conditions, 'Programmed')?.status === 'True',
        'Programmed=True',
      );
      const service = (await running.client.json(
        'GET',
        `/api/v1/namespaces/${ns}/services/switchyard-e2e`,
      )) as {
        spec: { type: string; clusterIP: string; ports: { port: number }[] };
      };
      expect(service.spec.type).toBe('ClusterIP');
      expect(service.spec.ports.map((p) => p.port)).toEqual([80]);
      expect((gateway.status as { addresses?: { value: string }[] }).addresses).toEqual([
        expect.objectContaining({ value: service.spec.clusterIP }),
      ]);
      const deployment = (await running.client.json(
        'GET',
        `/apis/apps/v1/namespaces/${ns}/deployments/switchyard-e2e`,
      )) as {
        metadata: { ownerReferences: { kind: string; name: string }[] };
      };
      expect(deployment.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Gateway', name: 'e2e' }),
      ]);

      const route = await waitForObject(
        running,
        'HTTPRoute',
        ns,
        'echo',
        (object) => parentStatus(object, controllerName) !== undefined,
        'our parent status',
      );
      const parent = parentStatus(route, controllerName);
      expect(condition(parent?.conditions, 'Accepted')?.status).toBe('True');
      expect(condition(parent?.conditions, 'ResolvedRefs')?.status).toBe('True');
    } finally {
      await running.stop();
    }
  },
);
