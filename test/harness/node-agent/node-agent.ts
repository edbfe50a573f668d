// The node agent: a kubelet for local processes on one Node. It registers the Node (Ready, its address the run's
// bridge), binds every unscheduled pod to itself (there is no scheduler), runs each pod with PodRuntime and
// writes its status, and on deletion stops the pod within its grace period and removes the Pod object.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import type { ImageMap } from './container-launch.ts';
import { KUBELET_PORT, type KubeletServer, startKubeletServer } from './kubelet-server.ts';
import type { RunNetwork } from './network.ts';
import { PodRuntime } from './pod-runtime.ts';
import type { VolumeSources } from './pod-volumes.ts';

export const NODE_NAME = 'switchyard-node';

export interface NodeAgentOptions {
  readonly kubeConfig: KubeConfig;
  readonly network: RunNetwork;
  readonly images: ImageMap;
  /** The `kubernetes` Service as pods reach it (KUBERNETES_SERVICE_HOST/PORT). */
  readonly apiServer?: { readonly host: string; readonly port: number };
  /** Called with every error the agent could not report on a pod (failed API writes). */
  readonly onError?: (error: Error) => void;
}

export class NodeAgent {
  private readonly options: NodeAgentOptions;
  private readonly core: CoreV1Api;
  private readonly podsDir: string;
  private readonly pods = new Map<string, PodRuntime>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly writing = new Set<string>();
  private readonly latest = new Map<string, V1Pod>();
  private informer?: ReturnType<typeof makeInformer<V1Pod>>;
  private kubelet?: KubeletServer;
  private stopped = false;

  constructor(options: NodeAgentOptions) {
    this.options = options;
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.podsDir = mkdtempSync(join(tmpdir(), 'switchyard-node-'));
  }

  /** The directory of a pod's volumes and container logs (`<container>.log`). */
  podDirectory(namespace: string, name: string): string | undefined {
    const pod = this.latest.get(`${namespace}/${name}`);
    return pod ? join(this.podsDir, `${namespace}_${name}_${pod.metadata?.uid}`) : undefined;
  }

  async start(): Promise<void> {
    this.kubelet = await startKubeletServer(this.options.network.gateway, (namespace, name, container) =>
      this.pods.get(`${namespace}/${name}`)?.logFile(container),
    );
    await this.registerNode();
    const informer = makeInformer<V1Pod>(this.options.kubeConfig, '/api/v1/pods', () =>
      this.core.listPodForAllNamespaces(),
    );
    this.informer = informer;
    informer.on('add', (pod) => this.reconcile(pod));
    informer.on('update', (pod) => this.reconcile(pod));
    informer.on('delete', (pod) => this.forget(pod));
    informer.on('error', () => {
      // The informer stops on a watch error; start it again (it relists) unless we are stopping.
      if (!this.stopped) setTimeout(() => void informer.start().catch(this.report), 500);
    });
    await informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer?.stop();
    await this.kubelet?.close();
    for (const pod of this.pods.values()) pod.cancelStart();
    await Promise.allSettled(this.pending.values());
    await Promise.allSettled([...this.pods.values()].map((pod) => pod.stop(0)));
    this.pods.clear();
    rmSync(this.podsDir, { recursive: true, force: true });
  }

  private readonly report = (error: unknown) => {
    if (!this.stopped) this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  };

  private async registerNode(): Promise<void> {
    const address = this.options.network.gateway;
    const node = await this.core.createNode({
      body: {
        metadata: {
          name: NODE_NAME,
          labels: { 'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux' },
        },
        spec: { podCIDR: this.options.network.podCidr, podCIDRs: [this.options.network.podCidr] },
      },
    });
    const now = new Date();
    await this.core.patchNodeStatus(
      {
        name: node.metadata!.name!,
        body: {
          status: {
            daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
            addresses: [
              { type: 'InternalIP', address },
              { type: 'Hostname', address: NODE_NAME },
            ],
            capacity: { cpu: '8', memory: '32Gi', pods: '250' },
            allocatable: { cpu: '8', memory: '32Gi', pods: '250' },
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'KubeletReady',
                message: 'switchyard node agent is running pods as local processes',
                lastHeartbeatTime: now,
                lastTransitionTime: now,
              },
            ],
            nodeInfo: {
              architecture: 'amd64',
              bootID: '',
              containerRuntimeVersion: 'switchyard-node-agent://1',
              kernelVersion: '',
              kubeProxyVersion: '',
              kubeletVersion: 'v1.37.2',
              machineID: '',
              operatingSystem: 'linux',
              osImage: 'local processes',
              systemUUID: '',
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  private reconcile(pod: V1Pod): void {
    if (this.stopped) return;
    const key = podKey(pod);
    this.latest.set(key, pod);
    if (!pod.spec?.nodeName) {
      this.serialize(key, () => this.bind(pod));
      return;
    }
    if (pod.spec.nodeName !== NODE_NAME) return;
    if (pod.metadata?.deletionTimestamp) {
      // A pod still waiting for its volumes stops waiting now: its termination is queued behind its start.
      this.pods.get(key)?.cancelStart();
      this.serialize(key, () => this.terminate(pod));
      return;
    }
    const running = this.pods.get(key);
    if (running) {
      running.update(pod);
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    this.serialize(key, async () => {
      if (this.pods.has(key) || this.stopped) return;
      const runtime = new PodRuntime(pod, {
        network: this.options.network,
        podsDir: this.podsDir,
        images: this.options.images,
        sources: this.sources,
        ...(this.options.apiServer ? { apiServer: this.options.apiServer } : {}),
        onChange: () => this.markDirty(key),
      });
      this.pods.set(key, runtime);
      await runtime.start();
    });
  }

  private forget(pod: V1Pod): void {
    const key = podKey(pod);
    this.latest.delete(key);
    const runtime = this.pods.get(key);
    if (!runtime) return;
    this.pods.delete(key);
    runtime.cancelStart();
    this.serialize(key, () => runtime.stop(0));
  }

  /** Runs the pod's operations one after another (bind, start, terminate never overlap for one pod). */
  private serialize(key: string, operation: () => Promise<void>): void {
    const previous = this.pending.get(key) ?? Promise.resolve();
    const next = previous.then(operation).catch(this.report);
    this.pending.set(key, next);
    void next.then(() => {
      if (this.pending.get(key) === next) this.pending.delete(key);
    });
  }

  private async bind(pod: V1Pod): Promise<void> {
    const current = this.latest.get(podKey(pod));
    if (current?.spec?.nodeName || current?.metadata?.uid !== pod.metadata?.uid) return;
    await this.core
      .createNamespacedPodBinding({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
        body: {
          metadata: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace! },
          target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME },
        },
      })
      .catch((error: { code?: number }) => {
        // 409: bound meanwhile (another event); 404: deleted meanwhile.
        if (error.code !== 409 && error.code !== 404) throw error;
      });
  }

  private async terminate(pod: V1Pod): Promise<void> {
    const key = podKey(pod);
    const runtime = this.pods.get(key);
    this.pods.delete(key);
    if (runtime) await runtime.stop(pod.metadata?.deletionGracePeriodSeconds ?? 30);
    await this.core
      .deleteNamespacedPod({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid! } },
      })
      .catch((error: { code?: number }) => {
        if (error.code !== 404 && error.code !== 409) throw error;
      });
  }

  private markDirty(key: string): void {
    this.dirty.add(key);
    if (this.writing.has(key)) return;
    this.writing.add(key);
    void this.writeStatus(key).finally(() => this.writing.delete(key));
  }

  // One status write in flight per pod; changes made meanwhile are written by the next round.
  private async writeStatus(key: string): Promise<void> {
    while (this.dirty.delete(key)) {
      const runtime = this.pods.get(key);
      const pod = this.latest.get(key);
      if (!runtime || !pod || this.stopped) return;
      await this.core
        .patchNamespacedPodStatus(
          {
            name: pod.metadata!.name!,
            namespace: pod.metadata!.namespace!,
            body: { status: runtime.status() },
          },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        )
        .catch((error: { code?: number }) => {
          if (error.code !== 404) this.report(error);
        });
    }
  }

  private readonly sources: VolumeSources = {
    configMap: async (namespace, name) => {
      const configMap = await this.core.readNamespacedConfigMap({ name, namespace }).catch(notFound);
      if (!configMap) return undefined;
      return {
        ...Object.fromEntries(Object.entries(configMap.data ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
        ...Object.fromEntries(
          Object.entries(configMap.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
        ),
      };
    },
    secret: async (namespace, name) => {
      const secret = await this.core.readNamespacedSecret({ name, namespace }).catch(notFound);
      if (!secret) return undefined;
      return Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
      );
    },
    serviceAccountToken: async (pod, audience, expirationSeconds) => {
      const request = await this.core.createNamespacedServiceAccountToken({
        name: pod.spec?.serviceAccountName ?? 'default',
        namespace: pod.metadata!.namespace!,
        body: {
          spec: {
            audiences: audience ? [audience] : [],
            expirationSeconds: expirationSeconds ?? 3607,
            boundObjectRef: {
              apiVersion: 'v1',
              kind: 'Pod',
              name: pod.metadata!.name!,
              uid: pod.metadata!.uid!,
            },
          },
        },
      });
      return request.status?.token ?? '';
    },
  };
}

function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

function notFound(error: { code?: number }): undefined {
  if (error.code === 404) return undefined;
  throw error;
}
