// The problems the inspector lists, against a real kube-apiserver (issues 15, 16): a SecurityPolicy whose selector
// can select nothing has no status to say so, so it is listed on the policy; the fix withdraws it, and so does
// deleting the policy. Kubernetes mode has no file to read again: the withdrawal is per object.
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { expect } from 'vitest';
import type { SourceProblem } from '../../sources/files/machine.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import {
  applyWithOwnGatewayClass,
  eventually,
  gatewayYaml,
  planesStoppedAfterEach,
  type RunningControlPlane,
  yamlObjects,
} from './kubernetes-harness.ts';

const start = planesStoppedAfterEach();

const policyYaml = (ns: string, selectedKind: string) => `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: by-label, namespace: ${ns}}
spec:
  targetSelectors: [{kind: ${selectedKind}, matchLabels: {app: web}}]
  cors: {allowOrigins: ["https://a.example.com"]}`;

const policyProblems = (running: RunningControlPlane): SourceProblem[] =>
  running.plane.problems.filter((problem) => problem.category === 'policy');

kubeTest(
  "a policy's problem as written is listed on it, and withdrawn when it is fixed or deleted",
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = await applyWithOwnGatewayClass(
      kube,
      `
${gatewayYaml(ns, 'edge', ns)}
---
${policyYaml(ns, 'Service')}
`,
    );
    const running = await start(controllerName);
    const listed = await eventually(
      'the policy problem listed',
      async () => (policyProblems(running).length > 0 ? policyProblems(running) : undefined),
      running,
    );
    expect(listed).toEqual([
      {
        origin: `SecurityPolicy ${ns}/by-label`,
        message: expect.stringContaining(
          'spec.targetSelectors[0].kind: a SecurityPolicy cannot select Service',
        ),
        category: 'policy',
        object: { kind: 'SecurityPolicy', namespace: ns, name: 'by-label' },
      },
    ]);

    await serverSideApply(kube.kubeConfig, yamlObjects(policyYaml(ns, 'HTTPRoute')));
    await eventually(
      'the problem withdrawn once the policy is fixed',
      async () => (policyProblems(running).length === 0 ? true : undefined),
      running,
    );

    await serverSideApply(kube.kubeConfig, yamlObjects(policyYaml(ns, 'Service')));
    await eventually(
      'the problem listed again',
      async () => (policyProblems(running).length === 1 ? true : undefined),
      running,
    );
    await KubernetesObjectApi.makeApiClient(kube.kubeConfig).delete({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: 'by-label', namespace: ns },
    });
    await eventually(
      'the problem withdrawn once the policy is deleted',
      async () => (policyProblems(running).length === 0 ? true : undefined),
      running,
    );
  },
);
