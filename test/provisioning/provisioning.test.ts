// Cluster-mode data-plane provisioning against a real kube-apiserver (no kubelet, no controller manager: the
// objects are asserted on, no pod runs, and nothing is garbage-collected unless we delete it).
import { expect } from 'vitest';
import { envoyDataPlaneTemplate } from '../../backends/envoy/data-plane-template.ts';
import type { KubeObject } from '../../sources/kubernetes/client.ts';
import {
  eventually,
  gatewayClassYaml,
  statusCondition,
  waitForObject,
  yamlObjects,
} from '../controlplane/kubernetes-harness.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import {
  COLLECTIONS,
  getObject,
  KINDS,
  noneProvisioned,
  type ProvisioningNames,
  parameterizedClassYaml,
  provisioned,
  provisioningPlanes,
  startProvisioning,
} from './provisioned-objects.ts';

const XDS_ADDRESS = 'switchyard.switchyard-system.svc:18000';

const start = provisioningPlanes('envoy', envoyDataPlaneTemplate(), XDS_ADDRESS);

function classAndGateway(
  { ns, controllerName, className }: ProvisioningNames,
  listeners: string,
  labels: string,
) {
  return yamlObjects(`
${parameterizedClassYaml(
  className,
  controllerName,
  '{backend: envoy, dataPlane: {replicas: 2, serviceType: LoadBalancer, image: example.com/envoy:test}}',
)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ${ns}}
spec:
  gatewayClassName: ${className}
  infrastructure:
    labels: {${labels}}
    annotations: {example.com/owner: platform}
  listeners: ${listeners}
`);
}

const servicePorts = (service: KubeObject | undefined) =>
  ((service?.spec as { ports?: { port: number; protocol: string }[] } | undefined)?.ports ?? [])
    .map((port) => `${port.port}/${port.protocol}`)
    .sort();

kubeTest(
  'provisioning creates, updates and deletes exactly the data-plane objects; addresses and Programmed follow the Service',
  async ({ kube }) => {
    const { plane, ...names } = await startProvisioning(kube, start, 'prov', (names) =>
      classAndGateway(
        names,
        '[{name: http, protocol: HTTP, port: 80}, {name: alt, protocol: HTTP, port: 8080, hostname: alt.example.com}]',
        'team: a',
      ),
    );
    const { ns, className } = names;

    // Created: one of each kind, named after the Gateway, owned by it, carrying the infrastructure metadata.
    const service = await eventually(
      'the Service with both listener ports',
      async () => {
        const found = await getObject(plane, 'Service', ns, 'switchyard-edge');
        return servicePorts(found).join(',') === '80/TCP,8080/TCP' ? found : undefined;
      },
      plane,
    );
    expect(service.spec).toMatchObject({ type: 'LoadBalancer' });
    const gateway = await waitForObject(plane, 'Gateway', ns, 'edge', () => true);
    const uid = (gateway.metadata as { uid: string }).uid;
    for (const kind of KINDS) {
      const objects = await eventually(
        `the ${kind}`,
        async () => {
          const list = await provisioned(plane, kind, ns);
          return list.length === 1 ? list : undefined;
        },
        plane,
      );
      const object = objects[0] as Awaited<ReturnType<typeof getObject>> & object;
      expect(object.metadata.name).toBe('switchyard-edge');
      expect(object.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Gateway', name: 'edge', uid, controller: true }),
      ]);
      expect(object.metadata.labels).toMatchObject({
        team: 'a',
        'gateway.networking.k8s.io/gateway-name': 'edge',
      });
      expect(object.metadata.annotations).toMatchObject({ 'example.com/owner': 'platform' });
    }
    const deployment = await getObject(plane, 'Deployment', ns, 'switchyard-edge');
    if (deployment === undefined) throw new Error('the Deployment is gone');
    const podSpec = (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
      serviceAccountName: string;
      securityContext: { runAsNonRoot: boolean };
      containers: {
        image: string;
        readinessProbe: { httpGet: { path: string; port: number } };
        securityContext: { readOnlyRootFilesystem: boolean; runAsNonRoot: boolean };
      }[];
    };
    expect(deployment.spec).toMatchObject({ replicas: 2 });
    expect(podSpec.serviceAccountName).toBe('switchyard-edge');
    expect(podSpec.securityContext.runAsNonRoot).toBe(true);
    expect(podSpec.containers[0]).toMatchObject({
      image: 'example.com/envoy:test',
      readinessProbe: { httpGet: { path: '/ready', port: 19001 } },
      securityContext: { readOnlyRootFilesystem: true, runAsNonRoot: true },
    });
    const configMap = await getObject(plane, 'ConfigMap', ns, 'switchyard-edge');
    const bootstrap = JSON.parse(configMap?.data?.['envoy.json'] ?? '{}') as {
      node: { cluster: string };
      staticResources: { clusters: { loadAssignment: unknown }[] };
    };
    expect(bootstrap.node.cluster).toBe(`${ns}/edge`);
    expect(JSON.stringify(bootstrap.staticResources.clusters)).toContain(
      '"address":"switchyard.switchyard-system.svc"',
    );

    // No load-balancer ingress yet: no address, Programmed=False AddressNotAssigned although the proxy ACKed.
    const waiting = await waitForObject(
      plane,
      'Gateway',
      ns,
      'edge',
      (gw) => statusCondition(gw, 'Programmed')?.reason === 'AddressNotAssigned',
      'Programmed=False/AddressNotAssigned',
    );
    expect(statusCondition(waiting, 'Programmed')?.status).toBe('False');
    expect((waiting.status as { addresses?: unknown }).addresses).toBeUndefined();

    // A load-balancer controller assigns an ingress IP: it becomes the Gateway's address, and Programmed=True.
    await plane.client.json(
      'PATCH',
      `${COLLECTIONS.Service(ns)}/switchyard-edge/status`,
      JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } }),
      undefined,
      'application/merge-patch+json',
    );
    const programmed = await waitForObject(
      plane,
      'Gateway',
      ns,
      'edge',
      (gw) => statusCondition(gw, 'Programmed')?.status === 'True',
      'Programmed=True',
    );
    expect((programmed.status as { addresses?: unknown }).addresses).toEqual([
      { type: 'IPAddress', value: '203.0.113.7' },
    ]);

    // Updated: a listener port replaced, the infrastructure labels changed, the class's replicas changed.
    await serverSideApply(
      kube.kubeConfig,
      classAndGateway(
        names,
        '[{name: http, protocol: HTTP, port: 80}, {name: admin, protocol: HTTP, port: 9090, hostname: admin.example.com}]',
        'team: b',
      ).map((object) =>
        object.kind === 'GatewayClassParameters'
          ? { ...object, spec: { backend: 'envoy', dataPlane: { replicas: 3, serviceType: 'LoadBalancer' } } }
          : object,
      ),
    );
    await eventually(
      'the Service with ports 80 and 9090',
      async () => {
        const found = await getObject(plane, 'Service', ns, 'switchyard-edge');
        return servicePorts(found).join(',') === '80/TCP,9090/TCP' ? found : undefined;
      },
      plane,
    );
    const updated = await eventually(
      'the Deployment with 3 replicas and team=b',
      async () => {
        const found = await getObject(plane, 'Deployment', ns, 'switchyard-edge');
        return (found?.spec as { replicas?: number } | undefined)?.replicas === 3 &&
          found?.metadata.labels?.team === 'b'
          ? found
          : undefined;
      },
      plane,
    );
    const container = (updated.spec as { template: { spec: { containers: { image: string }[] } } }).template
      .spec.containers[0];
    expect(container?.image).toBe('envoyproxy/envoy:v1.40.0');
    for (const kind of KINDS) {
      const list = await eventually(
        `the ${kind} relabelled`,
        async () => {
          const found = await provisioned(plane, kind, ns);
          const labels = (found[0]?.metadata as { labels?: Record<string, string> } | undefined)?.labels;
          return labels?.team === 'b' ? found : undefined;
        },
        plane,
      );
      expect(list).toHaveLength(1);
    }
    // The address survives the change: the Service kept its status.
    await waitForObject(
      plane,
      'Gateway',
      ns,
      'edge',
      (gw) =>
        JSON.stringify((gw.status as { addresses?: unknown }).addresses) ===
        JSON.stringify([{ type: 'IPAddress', value: '203.0.113.7' }]),
      'the address after the update',
    );

    // The class now asks for a ClusterIP Service: re-provisioned, and the cluster IP becomes the address.
    await serverSideApply(
      kube.kubeConfig,
      yamlObjects(`
apiVersion: switchyard.dev/v1alpha1
kind: GatewayClassParameters
metadata: {name: ${className}}
spec: {backend: envoy, dataPlane: {replicas: 3, serviceType: ClusterIP}}
`),
    );
    const clusterIP = await eventually(
      'a ClusterIP Service',
      async () => {
        const found = await getObject(plane, 'Service', ns, 'switchyard-edge');
        const spec = found?.spec as { type?: string; clusterIP?: string } | undefined;
        return spec?.type === 'ClusterIP' ? spec.clusterIP : undefined;
      },
      plane,
    );
    const retyped = await waitForObject(
      plane,
      'Gateway',
      ns,
      'edge',
      (gw) =>
        JSON.stringify((gw.status as { addresses?: unknown }).addresses) ===
        JSON.stringify([{ type: 'IPAddress', value: clusterIP }]),
      'the cluster IP as address',
    );
    expect(statusCondition(retyped, 'Programmed')?.status).toBe('True');

    // Deleted: the Gateway goes, and with it everything provisioned (no garbage collector runs here).
    await plane.client.json('DELETE', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/gateways/edge`);
    await noneProvisioned(plane, ns);
  },
  60_000,
);

kubeTest(
  'a Gateway that moves to a class of another controller loses its data plane',
  async ({ kube }) => {
    const { plane, ...names } = await startProvisioning(kube, start, 'prov', (names) =>
      classAndGateway(names, '[{name: http, protocol: HTTP, port: 80}]', 'team: a'),
    );
    const { ns, className } = names;
    await eventually(
      'the Deployment',
      async () => getObject(plane, 'Deployment', ns, 'switchyard-edge'),
      plane,
    );
    await serverSideApply(
      kube.kubeConfig,
      yamlObjects(`
${gatewayClassYaml(`${className}-other`, 'example.com/someone-else')}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ${ns}}
spec:
  gatewayClassName: ${className}-other
  infrastructure: {labels: {team: a}, annotations: {example.com/owner: platform}}
  listeners: [{name: http, protocol: HTTP, port: 80}]
`),
    );
    await noneProvisioned(plane, ns);
  },
  60_000,
);
