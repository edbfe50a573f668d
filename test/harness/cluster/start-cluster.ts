// A local Kubernetes cluster without containers: etcd, kube-apiserver on the run's bridge address,
// kube-controller-manager (Deployments, ReplicaSets, EndpointSlices, ServiceAccounts, namespaces, garbage
// collection) and the node agent, which runs pods as processes in network namespaces, with the service proxy
// for cluster IPs and load-balancer addresses. Every part is the run's own: its own etcd data, its own /16,
// its own ports; stop() removes them all (a killed run's leftovers go when the next run claims the slot).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { provisionEtcd } from '../../provision/etcd.ts';
import { provisionKubeApiserver, provisionKubeControllerManager } from '../../provision/kubernetes.ts';
import { installCrds } from '../kube/install-crds.ts';
import { type ManagedProcess, startManagedProcess } from '../kube/managed-process.ts';
import { type RunningEtcd, startEtcd } from '../kube/start-etcd.ts';
import { type RunningKubeApiserver, startKubeApiserver } from '../kube/start-kube-apiserver.ts';
import type { ImageMap } from '../node-agent/container-launch.ts';
import { RunNetwork } from '../node-agent/network.ts';
import { NodeAgent } from '../node-agent/node-agent.ts';
import { ServiceProxy } from '../node-agent/service-proxy.ts';

export interface LocalClusterOptions {
  readonly images: ImageMap;
  /** CRDs (and objects shipped with them) installed before the cluster is handed out. */
  readonly crds?: readonly KubernetesObject[];
}

export interface LocalCluster {
  readonly network: RunNetwork;
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  readonly nodeAgent: NodeAgent;
  readonly workDir: string;
  /** Errors the node agent and the service proxy could not attach to a pod or Service. */
  readonly errors: readonly Error[];
  stop(): Promise<void>;
}

const CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'endpointslice-controller',
  'serviceaccount-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'root-ca-certificate-publisher-controller',
];

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const [etcdBinary, apiserverBinary, controllerManagerBinary] = await Promise.all([
    provisionEtcd(),
    provisionKubeApiserver(),
    provisionKubeControllerManager(),
  ]);
  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-cluster-'));
  const errors: Error[] = [];
  const onError = (error: Error) => errors.push(error);
  let network: RunNetwork | undefined;
  let etcd: RunningEtcd | undefined;
  let apiserver: RunningKubeApiserver | undefined;
  let controllerManager: ManagedProcess | undefined;
  let nodeAgent: NodeAgent | undefined;
  let serviceProxy: ServiceProxy | undefined;
  const stop = async () => {
    await nodeAgent?.stop().catch(onError);
    await serviceProxy?.stop().catch(onError);
    await controllerManager?.stop();
    await apiserver?.process.stop();
    await etcd?.process.stop();
    await network?.close();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    network = await RunNetwork.create();
    etcd = await startEtcd(etcdBinary, workDir);
    apiserver = await startKubeApiserver(apiserverBinary, etcd.clientUrl, workDir, {
      address: network.gateway,
      port: 6443,
      serviceClusterIpRange: network.serviceCidr,
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(apiserver.kubeconfigPath);
    controllerManager = startManagedProcess(
      'kube-controller-manager',
      controllerManagerBinary,
      [
        `--kubeconfig=${apiserver.kubeconfigPath}`,
        `--controllers=${CONTROLLERS.join(',')}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--use-service-account-credentials=false',
        `--root-ca-file=${join(workDir, 'pki', 'apiserver.crt')}`,
        '--concurrent-deployment-syncs=10',
        '--concurrent-replicaset-syncs=10',
        '--concurrent-service-endpoint-syncs=10',
        // EndpointSlice updates are batched by this long by default (1 s would slow every test that waits
        // for endpoints); 0 writes them as pods change.
        '--endpointslice-updates-batch-period=0s',
      ],
      join(workDir, 'kube-controller-manager.log'),
    );
    const core = kubeConfig.makeApiClient(CoreV1Api);
    await controllerManager.waitUntil(
      () =>
        core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }).then(
          () => true,
          () => false,
        ),
      120_000,
    );
    if (options.crds && options.crds.length > 0) await installCrds(kubeConfig, options.crds);
    const kubernetesService = await core.readNamespacedService({ name: 'kubernetes', namespace: 'default' });
    serviceProxy = new ServiceProxy(kubeConfig, network, onError);
    await serviceProxy.start();
    nodeAgent = new NodeAgent({
      kubeConfig,
      network,
      images: options.images,
      apiServer: { host: kubernetesService.spec!.clusterIP!, port: 443 },
      onError,
    });
    await nodeAgent.start();
    return {
      network,
      kubeconfigPath: apiserver.kubeconfigPath,
      kubeConfig,
      nodeAgent,
      workDir,
      errors,
      stop,
    };
  } catch (error) {
    const logs = [apiserver?.process, controllerManager]
      .filter((process): process is ManagedProcess => process !== undefined)
      .map((process) => `--- ${process.name}:\n${process.logTail(15)}`)
      .join('\n');
    await stop();
    throw new Error(`${(error as Error).message}${logs ? `\n${logs}` : ''}`);
  }
}

/** Waits until `check` answers true, polling; the error names what was awaited and the last answer. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(200);
  }
}

export function readKubeconfigCa(cluster: LocalCluster): Buffer {
  return readFileSync(join(cluster.workDir, 'pki', 'apiserver.crt'));
}
