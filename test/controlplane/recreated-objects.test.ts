// Which object a status was written onto decides whether it is written again. An object deleted and created
// again under the same name is a new object with no status: it gets ours again, even when the status it should get
// is the one its predecessor had (`kubectl delete -f && kubectl apply -f`; the conformance suite does it between
// two tests that share a route name). The same object echoed back by the API server (its keys in the server's
// order) already has it: no second write, which on a stalled connection would hold up every later one.
import { expect } from 'vitest';
import { patcherName } from '../../actors/patchers/messages.ts';
import { eventually } from '../harness/eventually.ts';
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

kubeTest('a status the API server echoes back is not written again', async ({ kube }) => {
  const ns = kube.namespace;
  const controllerName = `switchyard.dev/${ns}`;
  await applyRouteOnGateway(kube, controllerName, 'once');
  const running = await startKubernetesControlPlane(controllerName);
  try {
    const patcher = () => running.plane.system.actor(patcherName('HTTPRoute'));
    const writes = () => (patcher()?.context as { writes?: number } | undefined)?.writes;
    const echoed = await waitForObject(
      running,
      'HTTPRoute',
      ns,
      'once',
      (object) => (object.status as { parents?: unknown[] } | undefined)?.parents?.length === 1,
      'the route with our status',
    );
    // The view holds the echo once the source has delivered the object at the written resourceVersion.
    await until(
      () =>
        (running.plane.store.get('HTTPRoute', ns, 'once')?.metadata as { resourceVersion?: string })
          ?.resourceVersion === echoed.metadata?.resourceVersion,
      'the route with our status in the view',
    );
    expect(writes()).toBe(1);
    // A second listener: the Gateway's status changes and the route is evaluated again, to the same status.
    const handled = patcher()?.stats().handled ?? 0;
    await serverSideApply(
      kube.kubeConfig,
      yamlObjects(
        gatewayYaml(
          ns,
          'gw',
          `class-${ns}`,
          '[{name: http, protocol: HTTP, port: 80}, {name: two, protocol: HTTP, port: 81}]',
        ),
      ),
    );
    await waitForObject(
      running,
      'Gateway',
      ns,
      'gw',
      (gw) => (gw.status as { listeners?: unknown[] } | undefined)?.listeners?.length === 2,
      'the Gateway with two listeners',
    );
    await until(
      () => (patcher()?.stats().handled ?? 0) > handled && patcher()?.stats().state === 'idle',
      'the route patcher to be asked again and be done',
    );
    expect(writes()).toBe(1);
  } finally {
    await running.stop();
  }
});

kubeTest('a controller started again writes no status that is already right', async ({ kube }) => {
  const ns = kube.namespace;
  const controllerName = `switchyard.dev/${ns}`;
  await applyRouteOnGateway(kube, controllerName, 'kept');
  const first = await startKubernetesControlPlane(controllerName);
  try {
    await waitForObject(
      first,
      'HTTPRoute',
      ns,
      'kept',
      (object) => (object.status as { parents?: unknown[] } | undefined)?.parents?.length === 1,
      'the route with our status',
    );
    await until(() => first.plane.system.settled, 'the first controller to settle');
  } finally {
    await first.stop();
  }
  const again = await startKubernetesControlPlane(controllerName);
  try {
    const patcher = (kind: string) => again.plane.system.actor(patcherName(kind));
    await until(
      () =>
        (patcher('HTTPRoute')?.stats().handled ?? 0) > 0 &&
        (patcher('Gateway')?.stats().handled ?? 0) > 0 &&
        again.plane.system.settled,
      'the controller started again to evaluate the route and the Gateway and settle',
    );
    const writes = (kind: string) => (patcher(kind)?.context as { writes?: number } | undefined)?.writes;
    expect([writes('HTTPRoute'), writes('Gateway')]).toEqual([0, 0]);
  } finally {
    await again.stop();
  }
});

/** Waits for a condition of the running plane (eventually's probe, true or not yet). */
function until(check: () => boolean, what: string): Promise<boolean> {
  return eventually(what, () => (check() ? true : undefined), 15_000);
}

/** The class, a Gateway `gw` and an HTTPRoute `name` on it at /name, applied to the namespace. */
async function applyRouteOnGateway(
  kube: { kubeConfig: Parameters<typeof serverSideApply>[0]; namespace: string },
  controllerName: string,
  name: string,
): Promise<void> {
  const ns = kube.namespace;
  await serverSideApply(kube.kubeConfig, [
    ...yamlObjects(gatewayClassYaml(`class-${ns}`, controllerName)),
    ...yamlObjects(gatewayYaml(ns, 'gw', `class-${ns}`)),
    ...yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: ${ns}}
spec:
  parentRefs: [{name: gw}]
  rules: [{matches: [{path: {type: PathPrefix, value: /${name}}}]}]
`),
  ]);
}

function uidOf(object: { metadata?: unknown }): string | undefined {
  return (object.metadata as { uid?: string } | undefined)?.uid;
}
