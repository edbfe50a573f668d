// Kubernetes mode, against the real kube-apiserver: a controller that saw a burst of edits (creates, updates and
// deletes in any order, sent without waiting for it) ends with the statuses a controller started afterwards
// computes from the same objects. The second plane lists the objects with their statuses left out, so it computes
// every status from scratch; it writes nothing (its statuses go to its own store, and it does not lead), and the
// statuses the first one wrote to the API server must equal them (condition times aside). A lost update, a
// stale cache or a message coalesced away in the running controller leaves a status the fresh one would not write.
import fc from 'fast-check';
import { inject } from 'vitest';
import { REFERENCE_VALIDATOR } from '../../cli/control-plane.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import { KubeClient, type KubeObject } from '../../sources/kubernetes/client.ts';
import { kubeTest, runKubeConfig, serverSideApply } from '../harness/kube/index.ts';
import { type RunningControlPlane, startKubernetesControlPlane, yamlObjects } from './kubernetes-harness.ts';

const GROUP_PATH = '/apis/gateway.networking.k8s.io/v1';

type Edit =
  | { readonly op: 'class' | 'delete-class' }
  | { readonly op: 'gateway'; readonly port: number; readonly ours: boolean }
  | {
      readonly op: 'route';
      readonly name: string;
      readonly section: string;
      readonly path: string;
      readonly backend: string;
    }
  | { readonly op: 'service'; readonly port: number }
  | { readonly op: 'delete'; readonly what: 'gateway' | 'web' | 'api' | 'service' };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.constantFrom<Edit>({ op: 'class' }, { op: 'delete-class' }),
  fc.record({ op: fc.constant('gateway' as const), port: fc.constantFrom(80, 81), ours: fc.boolean() }),
  fc.record({
    op: fc.constant('route' as const),
    name: fc.constantFrom('web', 'api'),
    section: fc.constantFrom('http', 'other', 'missing'),
    path: fc.constantFrom('/a', '/b'),
    backend: fc.constantFrom('shop', 'nowhere'),
  }),
  fc.record({ op: fc.constant('service' as const), port: fc.constantFrom(80, 8080) }),
  fc.record({
    op: fc.constant('delete' as const),
    what: fc.constantFrom('gateway', 'web', 'api', 'service'),
  }),
);

/** The test's own client, straight to the API server. */
class Cluster {
  readonly namespace: string;
  readonly controllerName: string;
  private readonly client = new KubeClient({ kubeconfig: inject('kubeconfig') });

  constructor(namespace: string) {
    this.namespace = namespace;
    this.controllerName = `switchyard.dev/${namespace}`;
  }

  async apply(change: Edit): Promise<void> {
    const ns = this.namespace;
    const yaml = (text: string) => serverSideApply(runKubeConfig(), yamlObjects(text));
    switch (change.op) {
      case 'class':
        return void (await yaml(
          `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: ${ns}}\nspec: {controllerName: ${this.controllerName}}`,
        ));
      case 'delete-class':
        return this.remove(`${GROUP_PATH}/gatewayclasses/${ns}`);
      case 'gateway':
        return void (await yaml(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ${ns}}
spec:
  gatewayClassName: ${change.ours ? ns : `${ns}-missing`}
  listeners:
    - {name: http, protocol: HTTP, port: ${change.port}}
    - {name: other, protocol: HTTP, port: 8080, hostname: other.example.com}`));
      case 'route':
        return void (await yaml(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${change.name}, namespace: ${ns}}
spec:
  parentRefs: [{name: edge, sectionName: ${change.section}}]
  rules: [{matches: [{path: {type: PathPrefix, value: ${change.path}}}], backendRefs: [{name: ${change.backend}, port: 80}]}]`));
      case 'service':
        return void (await yaml(
          `apiVersion: v1\nkind: Service\nmetadata: {name: shop, namespace: ${ns}}\nspec: {ports: [{port: ${change.port}}]}`,
        ));
      case 'delete': {
        const path =
          change.what === 'service'
            ? `/api/v1/namespaces/${ns}/services/shop`
            : change.what === 'gateway'
              ? `${GROUP_PATH}/namespaces/${ns}/gateways/edge`
              : `${GROUP_PATH}/namespaces/${ns}/httproutes/${change.what}`;
        return this.remove(path);
      }
    }
  }

  private async remove(path: string): Promise<void> {
    try {
      await this.client.json('DELETE', path);
    } catch (error) {
      if (!/404|not ?found/i.test(String(error))) throw error;
    }
  }

  /** Our part of every status in the API server, by object (GatewayClass, Gateway, HTTPRoutes). */
  async statuses(): Promise<Map<string, unknown>> {
    const ns = this.namespace;
    const out = new Map<string, unknown>();
    const gatewayClass = await this.get(`${GROUP_PATH}/gatewayclasses/${ns}`);
    if (gatewayClass !== undefined) out.set(id('GatewayClass', undefined, ns), gatewayClass.status);
    const gateway = await this.get(`${GROUP_PATH}/namespaces/${ns}/gateways/edge`);
    if (gateway !== undefined) out.set(id('Gateway', ns, 'edge'), gateway.status);
    const routes = (await this.client.json('GET', `${GROUP_PATH}/namespaces/${ns}/httproutes`)) as {
      items: KubeObject[];
    };
    for (const route of routes.items) out.set(id('HTTPRoute', ns, route.metadata?.name ?? ''), route.status);
    return out;
  }

  private async get(path: string): Promise<KubeObject | undefined> {
    try {
      return (await this.client.json('GET', path)) as KubeObject;
    } catch (error) {
      if (/404|not ?found/i.test(String(error))) return undefined;
      throw error;
    }
  }
}

function id(kind: string, namespace: string | undefined, name: string): string {
  const key: ResourceKey =
    namespace === undefined
      ? { group: 'gateway.networking.k8s.io', kind, name }
      : { group: 'gateway.networking.k8s.io', kind, namespace, name };
  return formatResourceKey(key);
}

/**
 * What of a status is ours, comparable: a route's parent entries of our controller; a Gateway's or GatewayClass's
 * status unless it is the CRD's default (every condition Pending) or our withdrawal (no condition) — nothing then.
 * Condition times are left out.
 */
function ours(kind: string, status: unknown, controllerName: string): unknown {
  const s = (status ?? {}) as { parents?: { controllerName: string }[]; conditions?: { reason: string }[] };
  if (kind === 'HTTPRoute') {
    const parents = (s.parents ?? []).filter((p) => p.controllerName === controllerName);
    return parents.length === 0 ? undefined : timeless(parents);
  }
  const conditions = s.conditions ?? [];
  if (conditions.every((c) => c.reason === 'Pending')) return undefined;
  return timeless(status);
}

/** Keys sorted (the API server orders fields its own way), condition times left out. */
function timeless(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(timeless);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'lastTransitionTime')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, field]) => [key, timeless(field)]),
  );
}

/** The fresh plane has computed everything: synced, no change waiting, no recomputation or write under way. */
function quiescent(plane: RunningControlPlane): boolean {
  const validator = plane.plane.system.actor(REFERENCE_VALIDATOR);
  const context = validator?.context as
    | { flushScheduled: boolean; resolution: { pending: number; flushing: boolean } }
    | undefined;
  if (validator === undefined || !validator.ready || context === undefined) return false;
  if (context.flushScheduled || context.resolution.flushing || context.resolution.pending > 0) return false;
  return plane.plane.system.actors().every((cell) => !cell.name.startsWith('patcher.') || cell.idle);
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: () => string,
  limitMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

kubeTest(
  'a controller that saw a burst of edits writes what a controller started afterwards computes',
  async ({ kube }) => {
    const cluster = new Cluster(kube.namespace);
    const history =
      fc.sample(fc.array(edit, { minLength: 40, maxLength: 40 }), { seed: 1717, numRuns: 1 })[0] ?? [];
    const running = await startKubernetesControlPlane(cluster.controllerName);
    let fresh: RunningControlPlane | undefined;
    try {
      // The edits go in back to back, as a deploy pipeline would apply them; the controller is not waited for.
      for (const change of [{ op: 'class' } as const, ...history]) await cluster.apply(change);

      fresh = await startKubernetesControlPlane(cluster.controllerName, {
        whenLeader: async () => false,
        statusWriter: (statuses) => async (write) => {
          statuses.set(write.key, write.status);
          return { written: true };
        },
        // Listed without statuses: every status is computed, none is taken as already written.
        wrapSourcePorts: (ports) => ({
          ...ports,
          list: async (request) => {
            const listed = await ports.list(request);
            if (request.kind === 'Service') return listed;
            return {
              ...listed,
              items: listed.items.map(({ status: _status, ...object }) => object as KubeObject),
            };
          },
        }),
      });
      const computed = fresh;
      await until(
        () => quiescent(computed),
        () => 'the fresh plane to compute every status',
      );
      const expected = new Map(
        computed.plane.statuses.entries().map(({ key, status }) => [formatResourceKey(key), status]),
      );

      let last = '';
      await until(
        async () => {
          const differences: string[] = [];
          for (const [key, status] of await cluster.statuses()) {
            const kind = key.split('/')[1] as string;
            const want = JSON.stringify(ours(kind, expected.get(key), cluster.controllerName));
            const have = JSON.stringify(ours(kind, status, cluster.controllerName));
            if (want !== have)
              differences.push(`${key}:\n  running controller: ${have}\n  fresh controller:   ${want}`);
          }
          last = differences.join('\n');
          return differences.length === 0;
        },
        () =>
          `the running controller's statuses to be the fresh one's; they differ:\n${last}\nhistory: ${JSON.stringify(history)}`,
      );
    } finally {
      await fresh?.stop();
      await running.stop();
      await cluster.apply({ op: 'delete-class' });
    }
  },
  240_000,
);
