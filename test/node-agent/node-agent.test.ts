// The node agent against a real kube-apiserver and kube-controller-manager: a Deployment's pods run as echo
// servers in network namespaces, get Ready and EndpointSlices, a LoadBalancer Service gets an address that
// carries traffic, Secret volumes and env reach the process, a crashed process is restarted, and a deleted
// pod's process and namespace go away.
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { echoDeployment } from '../harness/cluster/echo-deployment.ts';
import { localImages } from '../harness/cluster/local-images.ts';
import { type LocalCluster, startLocalCluster, waitFor } from '../harness/cluster/start-cluster.ts';
import { createTestCertificates } from '../harness/echo/test-certificates.ts';
import { provisionEchoBasic } from '../provision/gateway-api-conformance.ts';

let cluster: LocalCluster;
let core: CoreV1Api;
let apps: AppsV1Api;
const namespace = 'node-agent-test';

beforeAll(async () => {
  const echoBasic = await provisionEchoBasic();
  cluster = await startLocalCluster({ images: localImages({ echoBasic }) });
  core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  apps = cluster.kubeConfig.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
}, 600_000);

afterAll(async () => {
  await cluster?.stop();
});

/** A kubernetes.io/tls Secret for echo.example.com in the test namespace. */
async function createTlsSecret(name: string): Promise<void> {
  const { cert: certificate, key } = await createTestCertificates(['echo.example.com']);
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': certificate, 'tls.key': key },
    },
  });
}

async function readyPods(app: string, count: number): Promise<V1Pod[]> {
  return waitFor(
    `${count} ready pods of ${app}`,
    async () => {
      const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
      const ready = pods.items.filter(
        (pod) =>
          !pod.metadata?.deletionTimestamp &&
          pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === count ? ready : undefined;
    },
    120_000,
  );
}

describe('node agent', () => {
  test('runs a Deployment as echo servers behind a LoadBalancer Service', async () => {
    await apps.createNamespacedDeployment({ namespace, body: echoDeployment('echo', namespace, 2) });
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'echo' },
        spec: {
          type: 'LoadBalancer',
          selector: { app: 'echo' },
          ports: [{ name: 'http', port: 80, targetPort: 3000 }],
        },
      },
    });
    const pods = await readyPods('echo', 2);
    for (const pod of pods) {
      expect(pod.metadata?.name).toMatch(/^echo-[a-z0-9]+-[a-z0-9]{5}$/);
      expect(pod.status?.podIP).toMatch(new RegExp(`^10\\.${cluster.network.slot}\\.`));
      expect(pod.spec?.nodeName).toBe('switchyard-node');
    }
    const address = await waitFor(
      'load-balancer address',
      async () =>
        (await core.readNamespacedService({ name: 'echo', namespace })).status?.loadBalancer?.ingress?.[0]
          ?.ip,
      60_000,
    );
    // Both pods answer through the load-balancer address, each with its own name and our namespace.
    const seen = new Set<string>();
    await waitFor(
      'answers from both pods',
      async () => {
        // A new connection each time: the proxy balances connections, not requests.
        const body = JSON.parse(await httpGet(`http://${address}/hello`)) as {
          pod: string;
          namespace: string;
          path: string;
        };
        expect(body.namespace).toBe(namespace);
        expect(body.path).toBe('/hello');
        seen.add(body.pod);
        return seen.size === 2 ? true : undefined;
      },
      60_000,
    );
    expect([...seen].sort()).toEqual(pods.map((pod) => pod.metadata!.name!).sort());
  });

  test('writes Secret volumes and rewrites their paths in env: the echo server serves TLS', async () => {
    await createTlsSecret('echo-tls');
    await apps.createNamespacedDeployment({
      namespace,
      body: echoDeployment('echo-tls', namespace, 1, { tlsSecret: 'echo-tls' }),
    });
    const [pod] = await readyPods('echo-tls', 1);
    const served = await waitFor(
      'TLS answer on 8443',
      () => httpsGet(pod!.status!.podIP!, 8443, '/tls').catch(() => undefined),
      60_000,
    );
    expect(JSON.parse(served).pod).toBe(pod!.metadata!.name);
  });

  test('a pod whose Secret is created after it waits in ContainerCreating and starts once it exists', async () => {
    // The conformance suite applies its Deployments first and their TLS Secrets after them.
    await apps.createNamespacedDeployment({
      namespace,
      body: echoDeployment('echo-late', namespace, 1, { tlsSecret: 'echo-late-tls' }),
    });
    const waiting = await waitFor(
      'the pod waiting for its Secret',
      async () => {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=echo-late' });
        return pods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.message?.includes(
          'Secret node-agent-test/echo-late-tls not found',
        )
          ? pods.items[0]
          : undefined;
      },
      60_000,
    );
    expect(waiting.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
    await createTlsSecret('echo-late-tls');
    const [pod] = await readyPods('echo-late', 1);
    expect(pod!.metadata!.name).toBe(waiting.metadata!.name);
    const served = await waitFor(
      'TLS answer on 8443',
      () => httpsGet(pod!.status!.podIP!, 8443, '/tls').catch(() => undefined),
      60_000,
    );
    expect(JSON.parse(served).pod).toBe(pod!.metadata!.name);
  });

  test('a pod waiting for a Secret that never comes is deleted when asked', async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: echoDeployment('echo-never', namespace, 1, { tlsSecret: 'echo-never-tls' }),
    });
    await waitFor(
      'the pod waiting for its Secret',
      async () => {
        const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=echo-never' });
        return pods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.message?.includes('not found')
          ? true
          : undefined;
      },
      60_000,
    );
    await apps.deleteNamespacedDeployment({ name: 'echo-never', namespace, propagationPolicy: 'Foreground' });
    await waitFor(
      'the pod gone',
      async () =>
        (await core.listNamespacedPod({ namespace, labelSelector: 'app=echo-never' })).items.length === 0
          ? true
          : undefined,
      60_000,
    );
  });

  test('serves container logs to the API server (pods/log), selected by time', async () => {
    const [pod] = await readyPods('echo', 2);
    const name = pod!.metadata!.name!;
    const before = new Date();
    await httpGet(`http://${pod!.status!.podIP}:3000/logged-after`);
    const all = await core.readNamespacedPodLog({ name, namespace, container: 'echo' });
    expect(all).toContain('Starting server');
    const recent = await podLogSince(name, before);
    expect(recent).toContain('/logged-after');
    expect(recent).not.toContain('Starting server');
  });

  test('restarts a crashed container and removes a deleted pod with its namespace', async () => {
    const [pod] = await readyPods('echo', 2);
    const name = pod!.metadata!.name!;
    const containerID = pod!.status!.containerStatuses![0]!.containerID!;
    const pid = Number(containerID.split('://')[1]);
    process.kill(pid, 'SIGKILL');
    const restarted = await waitFor(
      'restart count 1 and Ready again',
      async () => {
        const current = await core.readNamespacedPod({ name, namespace });
        const status = current.status?.containerStatuses?.[0];
        return status?.restartCount === 1 && status.ready ? current : undefined;
      },
      60_000,
    );
    expect(restarted.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(137);

    const netnsBefore = namespacesOfSlot();
    await core.deleteNamespacedPod({ name, namespace });
    await waitFor(
      `pod ${name} gone`,
      () =>
        core.readNamespacedPod({ name, namespace }).then(
          () => undefined,
          (error: { code?: number }) => (error.code === 404 ? true : undefined),
        ),
      60_000,
    );
    expect(
      existsSync(`/proc/${Number(restarted.status!.containerStatuses![0]!.containerID!.split('://')[1])}`),
    ).toBe(false);
    // The ReplicaSet replaces it; the deleted pod's namespace is gone.
    await readyPods('echo', 2);
    const netnsAfter = namespacesOfSlot();
    expect(netnsAfter.length).toBe(netnsBefore.length);
  });
});

function namespacesOfSlot(): string[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((mount) => mount.startsWith(`/run/netns/sy${cluster.network.slot}-`));
  } catch {
    return [];
  }
}

// pods/log with sinceTime, which the generated client does not offer (the conformance suite's mirror tests use it).
async function podLogSince(name: string, since: Date): Promise<string> {
  const server = cluster.kubeConfig.getCurrentCluster()!.server;
  const options: import('node:https').RequestOptions = {};
  await cluster.kubeConfig.applyToHTTPSOptions(options);
  const path = `/api/v1/namespaces/${namespace}/pods/${name}/log?container=echo&sinceTime=${since.toISOString()}`;
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server), options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode}: ${body}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function httpsGet(host: string, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, rejectUnauthorized: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
