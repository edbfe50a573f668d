// BackendTrafficPolicy statuses against a real kube-apiserver: each policy reports on the Gateways its targets
// are attached to, one ancestor entry per Gateway and only those — a route on two Gateways gives its policy two
// entries, a refused policy reports Invalid on its route's Gateway alone, a Gateway-level policy reports on that
// Gateway (Overridden for the route with its own) — and when a route moves to another Gateway its policy's report
// moves with it (the old Gateway's entry withdrawn, the new one's written).
import { expect } from 'vitest';
import type { KubeObject } from '../../sources/kubernetes/client.ts';
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

function reports(policy: KubeObject, controllerName: string): Map<string, PolicyAncestor> {
  return new Map(policyAncestors(policy, controllerName).map((a) => [a.ancestorRef.name, a] as const));
}

/** The ancestors our controller reports on, by Gateway name, each with its Accepted reason. */
const reasons = (policy: KubeObject, controllerName: string) =>
  Object.fromEntries(
    [...reports(policy, controllerName)].map(([gateway, a]) => [
      gateway,
      condition(a.conditions, 'Accepted')?.reason,
    ]),
  );

const route = (ns: string, name: string, gateways: readonly string[]) =>
  appRouteYaml(ns, name, `${name}.example.com`, gateways);

const trafficPolicy = (ns: string, name: string, target: string, body: string, kind = 'HTTPRoute') =>
  targetedPolicyYaml('BackendTrafficPolicy', ns, name, target, body, kind);

kubeTest(
  'BackendTrafficPolicy status.ancestors: one report per Gateway its targets are on, moving with a route',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = await applyWithOwnGatewayClass(
      kube,
      `
${gatewayYaml(ns, 'east', ns)}
---
${gatewayYaml(ns, 'west', ns)}
---
${appServiceYaml(ns)}
---
${route(ns, 'both', ['east', 'west'])}
---
${route(ns, 'wanderer', ['west'])}
---
${trafficPolicy(ns, 'on-both', 'both', 'retry: {numRetries: 2}')}
---
${trafficPolicy(ns, 'refused', 'wanderer', 'bandwidthLimit: {requests: {limit: 1Mi}}')}
---
${trafficPolicy(ns, 'east-wide', 'east', 'timeout: {http: {requestTimeout: 5s}}', 'Gateway')}
`,
    );
    const running = await start(controllerName);
    const reported = (name: string, expected: Record<string, string>) =>
      waitForObject(
        running,
        'BackendTrafficPolicy',
        ns,
        name,
        (policy) => JSON.stringify(reasons(policy, controllerName)) === JSON.stringify(expected),
        `${name} reporting ${JSON.stringify(expected)}`,
      );

    // A route on two Gateways: its policy reports on both, each Accepted.
    const onBoth = await reported('on-both', { east: 'Accepted', west: 'Accepted' });
    for (const report of reports(onBoth, controllerName).values())
      expect(report.ancestorRef).toMatchObject({ kind: 'Gateway' });

    // A refused policy reports Invalid, naming the field, on its route's Gateway only.
    const refused = await reported('refused', { west: 'Invalid' });
    expect(JSON.stringify(reports(refused, controllerName).get('west')?.conditions)).toContain(
      'spec.bandwidthLimit: not supported',
    );

    // The Gateway-level policy reports on its Gateway alone, overridden for the route with a policy of its own.
    const wide = await reported('east-wide', { east: 'Accepted' });
    const overridden = condition(reports(wide, controllerName).get('east')?.conditions, 'Overridden');
    expect(overridden?.status).toBe('True');
    expect(JSON.stringify(overridden)).toContain('both');

    // The route moves from west to east: the refused policy's report moves with it.
    await serverSideApply(kube.kubeConfig, yamlObjects(route(ns, 'wanderer', ['east'])));
    await reported('refused', { east: 'Invalid' });
    // The others are untouched.
    await reported('on-both', { east: 'Accepted', west: 'Accepted' });
  },
);
