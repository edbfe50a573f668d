// Broken watches lose no update, against the real kube-apiserver: connections closed mid-stream (through a TCP
// proxy that destroys them), a real 410 Gone (a list that reports a resourceVersion the API server no longer
// has) and a silently stalled connection (the proxy black-holes it) all end with exactly the right statuses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, inject } from 'vitest';
import type { KindName } from '../../model/resources/kinds.ts';
import { KubeClient, type KubeObject } from '../../sources/kubernetes/client.ts';
import type { WatchEnded } from '../../sources/kubernetes/machine.ts';
import { kubernetesSourceName } from '../../sources/kubernetes/messages.ts';
import type { KubernetesSourcePorts } from '../../sources/kubernetes/ports.ts';
import { kubeTest, runKubeConfig, serverSideApply } from '../harness/kube/index.ts';
import {
  condition,
  parentStatus,
  type RunningControlPlane,
  startKubernetesControlPlane,
  waitForObject,
  yamlObjects,
} from './kubernetes-harness.ts';
import { kubeconfigServer, startTcpProxy, type TcpProxy, writeKubeconfigThroughProxy } from './tcp-proxy.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A proxy in front of the run's API server and a kubeconfig that goes through it. */
async function proxied(): Promise<{ proxy: TcpProxy; kubeconfig: string }> {
  const proxy = await startTcpProxy(kubeconfigServer(inject('kubeconfig')));
  cleanups.push(() => proxy.close());
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-proxy-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfigThroughProxy(inject('kubeconfig'), kubeconfig, proxy.port);
  return { proxy, kubeconfig };
}

async function start(
  controllerName: string,
  options: Parameters<typeof startKubernetesControlPlane>[1] = {},
): Promise<RunningControlPlane> {
  const plane = await startKubernetesControlPlane(controllerName, options);
  cleanups.push(() => plane.stop());
  return plane;
}

/** Records how every watch of one kind ended. */
function recordWatchEnds(kind: KindName, ends: WatchEnded[]) {
  return (ports: KubernetesSourcePorts): KubernetesSourcePorts => ({
    list: ports.list,
    watch: async (request) => {
      const ended = await ports.watch(request);
      if (request.kind === kind) ends.push(ended);
      return ended;
    },
    close: () => ports.close(),
  });
}

type Section = 'http' | 'other';

/** A Gateway with two listeners and these routes on them, in the test's namespace, as the API server holds it. */
async function givenRoutes(namespace: string, attached: Readonly<Record<string, Section>>): Promise<Routes> {
  const routes = new Routes(namespace);
  await routes.setUp();
  for (const [name, section] of Object.entries(attached)) await routes.apply(name, section);
  return routes;
}

/** A promise the test releases when it is ready: `held` resolves on `release()`. */
function gate(): { readonly held: Promise<void>; readonly release: () => void } {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { held, release };
}

/** The test's own view of the API: straight to the API server, never through the proxy. */
class Routes {
  /** Route name → the listener it attaches to; what the API server holds. */
  readonly expected = new Map<string, Section>();
  readonly namespace: string;
  readonly controllerName: string;
  private readonly direct = new KubeClient({ kubeconfig: inject('kubeconfig') });

  constructor(namespace: string) {
    this.namespace = namespace;
    this.controllerName = `switchyard.dev/${namespace}`;
  }

  async setUp(): Promise<void> {
    await serverSideApply(
      runKubeConfig(),
      yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: ${this.namespace}}
spec: {controllerName: ${this.controllerName}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ${this.namespace}}
spec:
  gatewayClassName: ${this.namespace}
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - {name: other, protocol: HTTP, port: 8080, hostname: other.example.com}
`),
    );
  }

  /** Creates or updates a route attached to one listener of the Gateway. */
  async apply(name: string, section: Section): Promise<void> {
    await serverSideApply(
      runKubeConfig(),
      yamlObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: ${this.namespace}}
spec:
  parentRefs: [{name: gw, sectionName: ${section}}]
  rules: [{matches: [{path: {type: PathPrefix, value: /${name}}}]}]
`),
    );
    this.expected.set(name, section);
  }

  async flip(name: string): Promise<void> {
    await this.apply(name, this.expected.get(name) === 'http' ? 'other' : 'http');
  }

  async delete(name: string): Promise<void> {
    await this.direct.json(
      'DELETE',
      `/apis/gateway.networking.k8s.io/v1/namespaces/${this.namespace}/httproutes/${name}`,
    );
    this.expected.delete(name);
  }

  /** Reads the Gateway as the API server has it now. */
  async gateway(): Promise<KubeObject | undefined> {
    return this.direct.json(
      'GET',
      `/apis/gateway.networking.k8s.io/v1/namespaces/${this.namespace}/gateways/gw`,
    ) as Promise<KubeObject>;
  }

  /**
   * Waits until the statuses in the API server are exactly what `expected` says: each listener counts the routes
   * attached to it, every route carries one entry of ours for its current listener at its current generation.
   */
  async converged(plane: RunningControlPlane): Promise<void> {
    const view: RunningControlPlane = { ...plane, client: this.direct };
    const count = (section: Section) => [...this.expected.values()].filter((s) => s === section).length;
    await waitForObject(
      view,
      'Gateway',
      this.namespace,
      'gw',
      (gw) => attachedRoutes(gw, 'http') === count('http') && attachedRoutes(gw, 'other') === count('other'),
      `attachedRoutes http=${count('http')} other=${count('other')}`,
    );
    for (const [name, section] of this.expected) {
      const route = await waitForObject(
        view,
        'HTTPRoute',
        this.namespace,
        name,
        (r) => {
          const ours = (
            (r.status as { parents?: { controllerName: string; parentRef: { sectionName?: string } }[] })
              ?.parents ?? []
          ).filter((p) => p.controllerName === this.controllerName);
          const accepted = condition(parentStatus(r, this.controllerName)?.conditions, 'Accepted');
          return (
            ours.length === 1 &&
            ours[0]?.parentRef.sectionName === section &&
            accepted?.status === 'True' &&
            accepted.observedGeneration === (r.metadata as { generation?: number }).generation
          );
        },
        `our Accepted entry for listener ${section}`,
      );
      expect(route.metadata?.name).toBe(name);
    }
    // Deleted routes are gone from the API server (and, above, from the counts).
    const listed = (await this.direct.json(
      'GET',
      `/apis/gateway.networking.k8s.io/v1/namespaces/${this.namespace}/httproutes`,
    )) as { items: KubeObject[] };
    expect(listed.items.map((r) => r.metadata?.name).sort()).toEqual([...this.expected.keys()].sort());
  }
}

function attachedRoutes(gateway: KubeObject, listener: string): number | undefined {
  return (
    gateway.status as { listeners?: { name: string; attachedRoutes: number }[] } | undefined
  )?.listeners?.find((l) => l.name === listener)?.attachedRoutes;
}

interface SourceContext {
  readonly watch: number;
  readonly relists: number;
  readonly lastError: string | undefined;
}

/** The Kubernetes source's machine context for one kind. */
function sourceContext(plane: RunningControlPlane, kind: KindName): SourceContext {
  const source = plane.plane.system.actor(kubernetesSourceName(kind));
  if (source === undefined) throw new Error(`no source for ${kind}`);
  return source.context as SourceContext;
}

/** Polls `check` every 50 ms until it holds; fails after `limitMs` saying what it waited for. */
async function until(
  check: () => boolean | Promise<boolean>,
  what: string | (() => string),
  limitMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

kubeTest(
  'connections closed mid-stream, again and again, lose no create, update or delete',
  async ({ kube }) => {
    const routes = await givenRoutes(kube.namespace, { r0: 'http', r1: 'other' });
    const { proxy, kubeconfig } = await proxied();
    const plane = await start(routes.controllerName, { kubeconfig });
    await routes.converged(plane);

    const firstWatch = sourceContext(plane, 'HTTPRoute').watch;
    let destroyed = 0;
    let next = 2;
    for (let round = 0; round < 8; round++) {
      const watchAtStart = sourceContext(plane, 'HTTPRoute').watch;
      await routes.apply(`r${next++}`, round % 2 === 0 ? 'http' : 'other');
      destroyed += proxy.destroyAll();
      const [oldest, second] = [...routes.expected.keys()];
      if (second !== undefined) await routes.flip(second);
      await routes.apply(`r${next++}`, 'http');
      destroyed += proxy.destroyAll();
      if (round % 2 === 1 && oldest !== undefined) await routes.delete(oldest);
      destroyed += proxy.destroyAll();
      // The source is watching again before the next round breaks it again.
      await until(
        () => sourceContext(plane, 'HTTPRoute').watch > watchAtStart && proxy.open > 0,
        () =>
          `the HTTPRoute watch to be restarted in round ${round} (last error: ${sourceContext(plane, 'HTTPRoute').lastError})`,
      );
    }
    await routes.converged(plane);
    expect(destroyed).toBeGreaterThan(0);
    expect(sourceContext(plane, 'HTTPRoute').watch).toBeGreaterThanOrEqual(firstWatch + 8);
    expect(routes.expected.size).toBe(2 + 16 - 4);
  },
);

kubeTest(
  '410 Gone: a watch from a resourceVersion the API server no longer has relists; what changed meanwhile ends up right',
  async ({ kube }) => {
    const routes = await givenRoutes(kube.namespace, { a: 'http', b: 'http', c: 'other', d: 'http' });

    // The HTTPRoute source's first list reports resourceVersion 1 — long out of the API server's watch window —
    // and its first watch is held back until the test has changed things behind the source's back.
    const { held, release } = gate();
    let staleLists = 1;
    const ends: WatchEnded[] = [];
    const plane = await start(routes.controllerName, {
      wrapSourcePorts: (ports) => ({
        list: async (request) => {
          const listed = await ports.list(request);
          if (request.kind !== 'HTTPRoute' || staleLists === 0) return listed;
          staleLists--;
          return { ...listed, resourceVersion: '1' };
        },
        watch: async (request) => {
          if (request.kind !== 'HTTPRoute') return ports.watch(request);
          if (request.watch === 1) await held;
          const ended = await ports.watch(request);
          ends.push(ended);
          return ended;
        },
        close: () => {
          release();
          ports.close();
        },
      }),
    });
    await routes.converged(plane);
    expect(sourceContext(plane, 'HTTPRoute').relists).toBe(0);

    await routes.delete('a');
    await routes.delete('b');
    await routes.flip('c');
    await routes.apply('e', 'other');
    await routes.apply('f', 'http');
    release();

    await until(() => sourceContext(plane, 'HTTPRoute').relists > 0, 'the HTTPRoute source to relist');
    await routes.converged(plane);
    // The API server answers such a watch with 200 and an ERROR event: code 410, reason Expired.
    expect(ends[0]).toMatchObject({ watch: 1, reason: 'gone' });
    expect(ends[0]?.message).toMatch(/too old resource version/);
    expect(sourceContext(plane, 'HTTPRoute').relists).toBe(1);
  },
);

kubeTest(
  'a silently stalled watch is detected and restarted; changes made during the stall arrive',
  async ({ kube }) => {
    const routes = await givenRoutes(kube.namespace, { a: 'http', b: 'other' });
    const { proxy, kubeconfig } = await proxied();
    const ends: WatchEnded[] = [];
    // The server ends a quiet watch after 2 s, well inside the 4 s idle deadline: only a stall trips it.
    const plane = await start(routes.controllerName, {
      kubeconfig,
      watch: { timeoutSeconds: 2, idleTimeoutMs: 4_000 },
      wrapSourcePorts: recordWatchEnds('HTTPRoute', ends),
    });
    await routes.converged(plane);

    proxy.blackHole();
    const before = ends.length;
    await routes.apply('c', 'http');
    await routes.flip('b');
    await routes.delete('a');
    await until(
      () => ends.slice(before).some((ended) => ended.reason === 'stalled'),
      'the HTTPRoute watch to be found stalled',
    );
    // Nothing got through the black hole: the Gateway still counts the routes as they were.
    const gateway = await routes.gateway();
    expect(gateway && [attachedRoutes(gateway, 'http'), attachedRoutes(gateway, 'other')]).toEqual([1, 1]);

    proxy.forward();
    await routes.converged(plane);
    expect(ends.slice(before).filter((ended) => ended.reason === 'stalled').length).toBeGreaterThan(0);
  },
);

kubeTest(
  'a list sent into a stalled connection is given up after the request deadline and retried',
  async ({ kube }) => {
    const routes = await givenRoutes(kube.namespace, { a: 'http', b: 'other' });
    const { proxy, kubeconfig } = await proxied();
    // The HTTPRoute source's first list is held back until the proxy black-holes every connection.
    const { held, release } = gate();
    let lists = 0;
    const plane = await start(routes.controllerName, {
      kubeconfig,
      requestTimeoutMs: 2_000,
      wrapSourcePorts: (ports) => ({
        list: async (request) => {
          if (request.kind === 'HTTPRoute' && lists++ === 0) await held;
          return ports.list(request);
        },
        watch: ports.watch,
        close: () => {
          release();
          ports.close();
        },
      }),
    });

    proxy.blackHole();
    release();
    await until(
      () => /^no answer to GET/.test(sourceContext(plane, 'HTTPRoute').lastError ?? ''),
      'the held list to be given up',
    );
    proxy.forward();

    await routes.converged(plane);
    expect(lists).toBeGreaterThan(1);
  },
);
