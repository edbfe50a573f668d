// Cluster-mode provisioning of agentgateway data planes against a real kube-apiserver (no kubelet: the objects
// are asserted on, no pod runs). The backend is the API-server suite's stand-in that ACKs every revision.
import { afterEach, expect } from 'vitest';
import { parse } from 'yaml';
import { agentgatewayDataPlaneTemplate } from '../../backends/agentgateway/data-plane-template.ts';
import { KubeApiError, type KubeObject } from '../../sources/kubernetes/client.ts';
import {
  condition,
  type RunningControlPlane,
  startKubernetesControlPlane,
  waitForObject,
  yamlObjects,
} from '../controlplane/kubernetes-harness.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import { ackingBackendSpec } from './acking-backend.ts';

const XDS_ADDRESS = 'switchyard.switchyard-system.svc:18001';

const running: RunningControlPlane[] = [];
afterEach(async () => {
  for (const plane of running.splice(0)) await plane.stop();
});

async function start(controllerName: string): Promise<RunningControlPlane> {
  const plane = await startKubernetesControlPlane(controllerName, {
    provisioning: { agentgateway: { template: agentgatewayDataPlaneTemplate(), xdsAddress: XDS_ADDRESS } },
    backends: { agentgateway: ackingBackendSpec('backend.agentgateway', 'agentgateway') },
  });
  running.push(plane);
  return plane;
}

interface Provisioned extends KubeObject {
  metadata: { name: string; ownerReferences?: { kind: string; name: string }[] };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

async function get(plane: RunningControlPlane, path: string): Promise<Provisioned | undefined> {
  try {
    return (await plane.client.json('GET', path)) as Provisioned;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 150; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never saw ${what}`);
}

function classAndGateway(ns: string, controllerName: string, className: string, parameters: string) {
  return yamlObjects(`
apiVersion: switchyard.dev/v1alpha1
kind: GatewayClassParameters
metadata: {name: ${className}}
spec: ${parameters}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: ${className}}
spec:
  controllerName: ${controllerName}
  parametersRef: {group: switchyard.dev, kind: GatewayClassParameters, name: ${className}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: agents, namespace: ${ns}}
spec:
  gatewayClassName: ${className}
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - {name: alt, protocol: HTTP, port: 8080, hostname: alt.example.com}
`);
}

interface Container {
  image: string;
  args: string[];
  ports: { containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: number } };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

const containerOf = (deployment: Provisioned) =>
  (deployment.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;

kubeTest(
  'an agentgateway Gateway gets its ServiceAccount, config, Deployment and Service; the class overrides image and xDS address',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = `switchyard.dev/${ns}`;
    const className = `agw-${ns}`;
    await serverSideApply(
      kube.kubeConfig,
      classAndGateway(
        ns,
        controllerName,
        className,
        '{backend: agentgateway, dataPlane: {serviceType: ClusterIP}}',
      ),
    );
    const plane = await start(controllerName);
    const name = 'switchyard-agents';

    // The config is what `switchyard agentgateway-config` prints, with the readiness server on the pod address.
    const configMap = await eventually('the ConfigMap', () =>
      get(plane, `/api/v1/namespaces/${ns}/configmaps/${name}`),
    );
    expect(Object.keys(configMap.data ?? {})).toEqual(['config.yaml']);
    expect(parse(configMap.data?.['config.yaml'] ?? '')).toEqual({
      config: {
        xdsAddress: `http://${XDS_ADDRESS}`,
        namespace: ns,
        gateway: 'agents',
        readinessAddr: '0.0.0.0:15021',
      },
    });
    expect(configMap.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Gateway', name: 'agents' }),
    ]);

    const deployment = await eventually('the Deployment', () =>
      get(plane, `/apis/apps/v1/namespaces/${ns}/deployments/${name}`),
    );
    const podSpec = (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(podSpec).toMatchObject({
      serviceAccountName: name,
      securityContext: { runAsNonRoot: true, runAsUser: 65532 },
      volumes: expect.arrayContaining([{ name: 'config', configMap: { name, defaultMode: 420 } }]),
    });
    const container = containerOf(deployment);
    expect(container).toMatchObject({
      image: 'cr.agentgateway.dev/agentgateway:v1.3.1',
      args: ['-f', '/etc/switchyard/config.yaml'],
      readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 } },
      securityContext: {
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      },
    });
    expect(container.ports.map((p) => p.containerPort).sort((a, b) => a - b)).toEqual([80, 8080, 15021]);
    expect(container.volumeMounts).toContainEqual({
      name: 'config',
      mountPath: '/etc/switchyard',
      readOnly: true,
    });
    expect(await get(plane, `/api/v1/namespaces/${ns}/serviceaccounts/${name}`)).toBeDefined();
    const service = await eventually('the Service', () =>
      get(plane, `/api/v1/namespaces/${ns}/services/${name}`),
    );
    expect((service.spec as { ports: { port: number }[] }).ports.map((p) => p.port)).toEqual([80, 8080]);

    // Programmed once the (stand-in) backend ACKs; a ClusterIP Service gives its cluster IP as the address.
    const programmed = await waitForObject(
      plane,
      'Gateway',
      ns,
      'agents',
      (gw) => condition((gw.status as { conditions?: unknown })?.conditions, 'Programmed')?.status === 'True',
      'Programmed=True',
    );
    const clusterIP = (service.spec as { clusterIP: string }).clusterIP;
    expect((programmed.status as { addresses?: unknown }).addresses).toEqual([
      { type: 'IPAddress', value: clusterIP },
    ]);

    // The class names another image and xDS address: the Deployment and the config follow.
    await serverSideApply(
      kube.kubeConfig,
      classAndGateway(
        ns,
        controllerName,
        className,
        '{backend: agentgateway, xds: {address: "agw-xds.example.svc:9977"}, dataPlane: {serviceType: ClusterIP, image: example.com/agentgateway:test}}',
      ),
    );
    const reconfigured = await eventually('the config with the class’s xDS address', async () => {
      const found = await get(plane, `/api/v1/namespaces/${ns}/configmaps/${name}`);
      const config = parse(found?.data?.['config.yaml'] ?? '{}') as { config?: { xdsAddress?: string } };
      return config.config?.xdsAddress === 'http://agw-xds.example.svc:9977' ? config : undefined;
    });
    expect(reconfigured).toMatchObject({ config: { namespace: ns, gateway: 'agents' } });
    await eventually('the Deployment with the class’s image', async () => {
      const found = await get(plane, `/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
      return found !== undefined && containerOf(found).image === 'example.com/agentgateway:test'
        ? found
        : undefined;
    });
  },
  60_000,
);
