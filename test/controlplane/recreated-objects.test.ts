// An object deleted and created again under the same name is a new object with no status: it gets ours again,
// even when the status it should get is the one its predecessor had (`kubectl delete -f && kubectl apply -f`;
// the conformance suite does it between two tests that share a route name).
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import {
  gatewayClassYaml,
  gatewayYaml,
  startKubernetesControlPlane,
  type statusCondition,
  waitForObject,
  yamlObjects,
} from './kubernetes-harness.ts';

kubeTest('a route deleted and created again at once gets its status again', async ({ kube }) => {
  const ns = kube.namespace;
  const controllerName = `switchyard.dev/${ns}`;
  const route = yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: again, namespace: ${ns}}
spec:
  parentRefs: [{name: gw}]
  rules: [{matches: [{path: {type: PathPrefix, value: /again}}]}]
`);
  await serverSideApply(kube.kubeConfig, [
    ...yamlObjects(gatewayClassYaml(`class-${ns}`, controllerName)),
    ...yamlObjects(gatewayYaml(ns, 'gw', `class-${ns}`)),
    ...route,
  ]);
  const running = await startKubernetesControlPlane(controllerName);
  try {
    const accepted = (object: Parameters<typeof statusCondition>[0]) => {
      const parents = (object?.status as { parents?: { conditions?: unknown[] }[] } | undefined)?.parents;
      return (
        (parents?.[0]?.conditions as { type: string; status: string }[] | undefined)?.some(
          (c) => c.type === 'Accepted' && c.status === 'True',
        ) === true
      );
    };
    const first = await waitForObject(
      running,
      'HTTPRoute',
      ns,
      'again',
      accepted,
      'the first route Accepted',
    );
    const routes = running.resources.get('HTTPRoute')!;
    await running.client.json(
      'DELETE',
      `/apis/${routes.group}/${routes.version}/namespaces/${ns}/httproutes/again`,
    );
    await serverSideApply(kube.kubeConfig, route);
    await waitForObject(
      running,
      'HTTPRoute',
      ns,
      'again',
      (object) => uidOf(object) !== uidOf(first) && accepted(object),
      'the route created again Accepted',
    );
  } finally {
    await running.stop();
  }
});

function uidOf(object: { metadata?: unknown }): string | undefined {
  return (object.metadata as { uid?: string } | undefined)?.uid;
}
