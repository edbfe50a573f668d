// Two control planes against one API server elect one leader through a Lease: only the leader writes, and when
// it dies without releasing the Lease the other takes over once the Lease expires and writes what changed.
import { afterEach, expect, inject } from 'vitest';
import { KubeClient } from '../../sources/kubernetes/client.ts';
import { LeaderElector } from '../../sources/kubernetes/lease.ts';
import {
  type RunningControlPlane,
  startKubernetesControlPlane,
  statusCondition,
  waitForObject,
  yamlObjects,
} from '../controlplane/kubernetes-harness.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import '../harness/kube/provided-context.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Replica {
  readonly elector: LeaderElector;
  readonly plane: RunningControlPlane;
  /** Writes that passed the leadership gate. */
  writes: number;
}

async function startReplica(controllerName: string, namespace: string, identity: string): Promise<Replica> {
  // Short durations keep the test quick; the relations are the defaults' (15 s / 10 s / 2 s).
  const elector = new LeaderElector(new KubeClient({ kubeconfig: inject('kubeconfig') }), {
    namespace,
    name: 'switchyard-leader',
    identity,
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_000,
    retryPeriodMs: 250,
  });
  const replica = { elector, writes: 0 } as {
    elector: LeaderElector;
    plane: RunningControlPlane;
    writes: number;
  };
  replica.plane = await startKubernetesControlPlane(controllerName, {
    whenLeader: async () => {
      const leading = await elector.whenLeader();
      if (leading) replica.writes++;
      return leading;
    },
  });
  elector.start();
  cleanups.push(async () => {
    await elector.stop();
    await replica.plane.stop();
  });
  return replica;
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

kubeTest(
  'one leader writes; when it dies the other takes over within 15 s and writes what changed meanwhile',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = `switchyard.dev/${ns}`;
    const gateway = (listeners: string) =>
      yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: le-${ns}}
spec: {controllerName: ${controllerName}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ${ns}}
spec:
  gatewayClassName: le-${ns}
  listeners: ${listeners}
`);
    await serverSideApply(kube.kubeConfig, gateway('[{name: http, protocol: HTTP, port: 80}]'));
    const first = await startReplica(controllerName, ns, 'replica-a');
    const second = await startReplica(controllerName, ns, 'replica-b');
    await until('a leader', () => first.elector.isLeader || second.elector.isLeader);
    const [leader, follower] = first.elector.isLeader ? [first, second] : [second, first];

    await waitForObject(leader.plane, 'Gateway', ns, 'gw', (gw) => {
      const accepted = statusCondition(gw, 'Accepted');
      return accepted?.status === 'True';
    });
    // Both computed the statuses; only the leader wrote any, and the follower does not lead.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(leader.writes).toBeGreaterThan(0);
    expect(follower.writes).toBe(0);
    expect(follower.elector.isLeader).toBe(false);
    const lease = (await leader.plane.client.json(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/switchyard-leader`,
    )) as { spec: { holderIdentity: string; leaseDurationSeconds: number } };
    expect(lease.spec.holderIdentity).toBe(leader.elector.identity);

    // The leader dies without releasing the Lease; meanwhile the Gateway gets a second listener.
    const killedAt = Date.now();
    await leader.elector.stop({ release: false });
    await leader.plane.stop();
    await serverSideApply(
      kube.kubeConfig,
      gateway('[{name: http, protocol: HTTP, port: 80}, {name: alt, protocol: HTTP, port: 8080}]'),
    );
    await until('the follower leads', () => follower.elector.isLeader);
    const updated = await waitForObject(follower.plane, 'Gateway', ns, 'gw', (gw) => {
      const listeners = (gw.status as { listeners?: { name: string }[] } | undefined)?.listeners ?? [];
      return listeners.some((listener) => listener.name === 'alt');
    });
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(follower.writes).toBeGreaterThan(0);
    expect(statusCondition(updated, 'Accepted')?.observedGeneration).toBe(2);
    const taken = (await follower.plane.client.json(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/switchyard-leader`,
    )) as { spec: { holderIdentity: string; leaseTransitions: number } };
    expect(taken.spec.holderIdentity).toBe(follower.elector.identity);
    expect(taken.spec.leaseTransitions).toBeGreaterThanOrEqual(1);
  },
  60_000,
);
