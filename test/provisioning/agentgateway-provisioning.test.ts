// Cluster-mode provisioning of agentgateway data planes against a real kube-apiserver (no kubelet: the objects
// are asserted on, no pod runs). The backend is the API-server suite's stand-in that ACKs every revision.
import { expect } from 'vitest';
import { parse } from 'yaml';
import { agentgatewayDataPlaneTemplate } from '../../backends/agentgateway/data-plane-template.ts';
import {
  eventually,
  gatewayYaml,
  statusCondition,
  waitForObject,
  yamlObjects,
} from '../controlplane/kubernetes-harness.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import {
  getObject,
  type Provisioned,
  type ProvisioningNames,
  parameterizedClassYaml,
  provisioningPlanes,
  startProvisioning,
} from './provisioned-objects.ts';

const XDS_ADDRESS = 'switchyard.switchyard-system.svc:18001';

const start = provisioningPlanes('agentgateway', agentgatewayDataPlaneTemplate(), XDS_ADDRESS);

function classAndGateway({ ns, controllerName, className }: ProvisioningNames, parameters: string) {
  return yamlObjects(`
${parameterizedClassYaml(className, controllerName, parameters)}
---
${gatewayYaml(
  ns,
  'agents',
  className,
  '[{name: http, protocol: HTTP, port: 80}, {name: alt, protocol: HTTP, port: 8080, hostname: alt.example.com}]',
)}
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
    const { plane, ...names } = await startProvisioning(kube, start, 'agw', (names) =>
      classAndGateway(names, '{backend: agentgateway, dataPlane: {serviceType: ClusterIP}}'),
    );
    const { ns } = names;
    const name = 'switchyard-agents';

    // The config is what `switchyard agentgateway-config` prints, with the readiness server on the pod address.
    const configMap = await eventually('the ConfigMap', () => getObject(plane, 'ConfigMap', ns, name));
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

    const deployment = await eventually('the Deployment', () => getObject(plane, 'Deployment', ns, name));
    const podSpec = (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(podSpec).toMatchObject({
      serviceAccountName: name,
      securityContext: { runAsNonRoot: true, runAsUser: 65532 },
      volumes: expect.arrayContaining([{ name: 'config', configMap: { name, defaultMode: 420 } }]),
    });
    const container = containerOf(deployment);
    expect(container).toMatchObject({
      image: 'cr.agentgateway.dev/agentgateway:v1.4.1',
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
    expect(await getObject(plane, 'ServiceAccount', ns, name)).toBeDefined();
    const service = await eventually('the Service', () => getObject(plane, 'Service', ns, name));
    expect((service.spec as { ports: { port: number }[] }).ports.map((p) => p.port)).toEqual([80, 8080]);

    // Programmed once the (stand-in) backend ACKs; a ClusterIP Service gives its cluster IP as the address.
    const programmed = await waitForObject(
      plane,
      'Gateway',
      ns,
      'agents',
      (gw) => statusCondition(gw, 'Programmed')?.status === 'True',
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
        names,
        '{backend: agentgateway, xds: {address: "agw-xds.example.svc:9977"}, dataPlane: {serviceType: ClusterIP, image: example.com/agentgateway:test}}',
      ),
    );
    const reconfigured = await eventually('the config with the class’s xDS address', async () => {
      const found = await getObject(plane, 'ConfigMap', ns, name);
      const config = parse(found?.data?.['config.yaml'] ?? '{}') as { config?: { xdsAddress?: string } };
      return config.config?.xdsAddress === 'http://agw-xds.example.svc:9977' ? config : undefined;
    });
    expect(reconfigured).toMatchObject({ config: { namespace: ns, gateway: 'agents' } });
    await eventually('the Deployment with the class’s image', async () => {
      const found = await getObject(plane, 'Deployment', ns, name);
      return found !== undefined && containerOf(found).image === 'example.com/agentgateway:test'
        ? found
        : undefined;
    });
  },
  60_000,
);
