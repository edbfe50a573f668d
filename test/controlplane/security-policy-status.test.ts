// SecurityPolicy statuses against a real kube-apiserver (our CRDs from deploy/crds): status.ancestors written by
// the patchers with our controller's entries only (another controller's entry survives), two policies on one
// route (the older Accepted, the newer Conflicted), a Gateway-wide policy Overridden for a route with its own,
// a policy whose target appears later (TargetNotFound, then Accepted), and a policy whose Secret is missing
// (Invalid, naming it) until the Secret is created.
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { expect, inject } from 'vitest';
import { KubeClient, type KubeObject } from '../../sources/kubernetes/client.ts';
import { discoverResources } from '../../sources/kubernetes/ports.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import {
  applyWithOwnGatewayClass,
  appRouteYaml,
  appServiceYaml,
  condition,
  gatewayYaml,
  type PolicyAncestor,
  planesStoppedAfterEach,
  policyAncestors,
  targetedPolicyYaml,
  waitForObject,
  yamlObjects,
} from './kubernetes-harness.ts';

const start = planesStoppedAfterEach();

const ancestors = (policy: KubeObject): PolicyAncestor[] => policyAncestors(policy);
const ours = policyAncestors;

const accepted = (reason: string, controllerName: string) => (policy: KubeObject) =>
  ours(policy, controllerName).some((a) => condition(a.conditions, 'Accepted')?.reason === reason);

const route = (ns: string, name: string, hostname: string) => appRouteYaml(ns, name, hostname);

const policy = (ns: string, name: string, target: string, body: string, kind = 'HTTPRoute') =>
  targetedPolicyYaml('SecurityPolicy', ns, name, target, body, kind);

kubeTest(
  'SecurityPolicy status.ancestors: accepted, conflicted, overridden, target found later, Secret missing then created',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = await applyWithOwnGatewayClass(
      kube,
      `
${gatewayYaml(ns, 'edge', ns)}
---
${appServiceYaml(ns)}
---
${route(ns, 'app', 'app.example.com')}
---
${policy(ns, 'gateway-wide', 'edge', 'cors: {allowOrigins: ["https://a.example.com"]}', 'Gateway')}
---
${policy(ns, 'first', 'app', 'cors: {allowOrigins: ["https://b.example.com"]}')}
---
${policy(ns, 'later-target', 'later', 'cors: {allowOrigins: ["*"]}')}
---
${policy(ns, 'needs-secret', 'app', 'basicAuth: {users: {name: users}}')}
`,
    );
    // Another controller's entry on a policy, written before ours: it must survive every write of ours.
    const client = new KubeClient({ kubeconfig: inject('kubeconfig') });
    const resource = (await discoverResources(client, ['SecurityPolicy'])).get('SecurityPolicy')!;
    const theirs = {
      ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: ns, name: 'theirs' },
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
    };
    await client.applyStatus(
      resource,
      ns,
      'first',
      {
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'SecurityPolicy',
        metadata: { name: 'first', namespace: ns },
        status: { ancestors: [theirs] },
      },
      'other-controller',
    );
    const running = await start(controllerName);
    const first = await waitForObject(
      running,
      'SecurityPolicy',
      ns,
      'first',
      accepted('Accepted', controllerName),
      'Accepted',
    );
    expect(ours(first, controllerName)[0]?.ancestorRef).toMatchObject({ kind: 'Gateway', name: 'edge' });
    expect(ancestors(first).filter((a) => a.controllerName === theirs.controllerName)).toHaveLength(1);

    // The newer policy on the same route is Conflicted, naming the older one.
    const conflicted = await waitForObject(
      running,
      'SecurityPolicy',
      ns,
      'needs-secret',
      accepted('Conflicted', controllerName),
      'Conflicted',
    );
    expect(JSON.stringify(ours(conflicted, controllerName))).toContain(`${ns}/first`);

    // The Gateway-wide policy is accepted and says which route overrides it.
    const wide = await waitForObject(
      running,
      'SecurityPolicy',
      ns,
      'gateway-wide',
      (p) => ours(p, controllerName).some((a) => condition(a.conditions, 'Overridden')?.status === 'True'),
      'Overridden',
    );
    expect(condition(ours(wide, controllerName)[0]?.conditions, 'Accepted')?.status).toBe('True');

    // A target that does not exist yet, then appears.
    await waitForObject(
      running,
      'SecurityPolicy',
      ns,
      'later-target',
      accepted('TargetNotFound', controllerName),
      'TargetNotFound',
    );
    await serverSideApply(kube.kubeConfig, yamlObjects(route(ns, 'later', 'later.example.com')));
    const found = await waitForObject(
      running,
      'SecurityPolicy',
      ns,
      'later-target',
      accepted('Accepted', controllerName),
      'Accepted once the route exists',
    );
    expect(ours(found, controllerName)).toHaveLength(1);
    expect(ours(found, controllerName)[0]?.ancestorRef).toMatchObject({ kind: 'Gateway', name: 'edge' });

    // Deleting the older policy lets the newer one in: its Secret is missing, so it is Invalid and names it.
    await KubernetesObjectApi.makeApiClient(kube.kubeConfig).delete({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: 'first', namespace: ns },
    });
    const missing = await waitForObject(
      running,
      'SecurityPolicy',
      ns,
      'needs-secret',
      accepted('Invalid', controllerName),
      'Invalid',
    );
    expect(JSON.stringify(ours(missing, controllerName))).toContain(`Secret ${ns}/users not found`);
    await serverSideApply(
      kube.kubeConfig,
      yamlObjects(`
apiVersion: v1
kind: Secret
metadata: {name: users, namespace: ${ns}}
type: Opaque
stringData: {.htpasswd: "alice:{SHA}YHYtfd5DcWR5fhcyJ1hWMSlhYb8="}
`),
    );
    await waitForObject(
      running,
      'SecurityPolicy',
      ns,
      'needs-secret',
      accepted('Accepted', controllerName),
      'Accepted once the Secret exists',
    );
  },
);
