import { describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY_CLASS_PARAMETERS } from '../gateway-api/gateway-class.ts';
import type { GatewayIR } from '../ir/gateway-ir.ts';
import { envoyProxyIR } from '../policies/envoy-proxy.ts';
import type { EnvoyProxySpec } from '../resources/envoy-gateway.ts';
import type { Gateway } from '../resources/gateway-api.ts';
import type { Service } from '../resources/kubernetes.ts';
import { resourceKey } from '../resources/resource-key.ts';
import {
  type DataPlaneTemplate,
  desiredDataPlane,
  PROVISIONED_BY_ANNOTATION,
  PROVISIONED_GATEWAY_LABEL,
  provisionedName,
  provisionedServiceKey,
  serviceAddresses,
} from './provisioning.ts';

const template: DataPlaneTemplate = {
  image: 'example.com/proxy:1',
  bootstrapFile: 'proxy.json',
  configDirectory: '/etc/proxy',
  args: ['-c', '/etc/proxy/proxy.json'],
  readiness: { path: '/ready', port: 19001 },
  bootstrap: (gateway, xdsAddress) => `${gateway.namespace}/${gateway.name} via ${xdsAddress}`,
};

function gateway(spec: Partial<Gateway['spec']> = {}, name = 'edge'): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'apps', uid: 'uid-1' },
    spec: { gatewayClassName: 'sy', listeners: [], ...spec },
  };
}

function ir(ports: number[], parameters = DEFAULT_GATEWAY_CLASS_PARAMETERS): GatewayIR {
  return {
    gateway: resourceKey('gateway.networking.k8s.io', 'Gateway', 'apps', 'edge'),
    gatewayClassName: 'sy',
    parameters,
    ports: ports.map((port) => ({ port, transport: 'TCP', listeners: [] })),
  };
}

describe('provisionedName', () => {
  it('prefixes a plain Gateway name', () => {
    expect(provisionedName('edge')).toBe('switchyard-edge');
  });

  it('keeps names with dots or over 63 characters unique and within a DNS label', () => {
    const dotted = provisionedName('a.b');
    expect(dotted).toMatch(/^switchyard-a-b-[0-9a-f]{8}$/);
    expect(dotted).not.toBe(provisionedName('a-b'));
    const long = provisionedName('x'.repeat(80));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    expect(long).not.toBe(provisionedName(`${'x'.repeat(79)}y`));
  });

  it('names the Service a Gateway depends on', () => {
    expect(provisionedServiceKey({ namespace: 'apps', name: 'edge' })).toEqual(
      resourceKey('', 'Service', 'apps', 'switchyard-edge'),
    );
  });
});

describe('desiredDataPlane', () => {
  it('builds the four objects, owned by the Gateway, with the infrastructure metadata and one port per listener port', () => {
    const result = desiredDataPlane(
      gateway({ infrastructure: { labels: { team: 'a' }, annotations: { note: 'x' } } }),
      ir([80, 443]),
      { template, xdsAddress: 'xds.example:18000' },
      'example.com/c',
    );
    if (!result.ok) throw new Error(result.message);
    expect(result.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/switchyard-edge',
      'ConfigMap/switchyard-edge',
      'Deployment/switchyard-edge',
      'Service/switchyard-edge',
    ]);
    for (const object of result.objects) {
      expect(object.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Gateway', name: 'edge', uid: 'uid-1', controller: true }),
      ]);
      expect(object.metadata.labels).toMatchObject({
        team: 'a',
        [PROVISIONED_GATEWAY_LABEL]: 'switchyard-edge',
      });
      expect(object.metadata.annotations).toEqual({
        note: 'x',
        [PROVISIONED_BY_ANNOTATION]: 'example.com/c',
      });
    }
    const [, configMap, deployment, service] = result.objects;
    // The pods carry the Gateway's annotations only.
    const podAnnotations = (deployment?.spec as { template?: { metadata?: { annotations?: object } } })
      ?.template?.metadata?.annotations;
    expect(podAnnotations).toEqual({ note: 'x' });
    expect(configMap?.data).toEqual({ 'proxy.json': 'apps/edge via xds.example:18000' });
    expect(deployment?.spec).toMatchObject({
      replicas: 1,
      template: {
        spec: {
          securityContext: { runAsNonRoot: true },
          containers: [
            {
              image: 'example.com/proxy:1',
              readinessProbe: { httpGet: { path: '/ready', port: 19001 } },
              securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
            },
          ],
        },
      },
    });
    expect(service?.spec).toEqual({
      type: 'LoadBalancer',
      selector: { [PROVISIONED_GATEWAY_LABEL]: 'switchyard-edge' },
      ports: [
        { name: 'tcp-80', port: 80, protocol: 'TCP', targetPort: 80 },
        { name: 'tcp-443', port: 443, protocol: 'TCP', targetPort: 443 },
      ],
    });
  });

  it('takes image, replicas, Service type and xDS address from the GatewayClass parameters', () => {
    const result = desiredDataPlane(
      gateway(),
      ir([8080], {
        backend: 'envoy',
        dataPlane: { image: 'mine:2', replicas: 3, serviceType: 'ClusterIP' },
        xds: { address: 'other:1' },
      }),
      { template, xdsAddress: 'xds.example:18000' },
    );
    if (!result.ok) throw new Error(result.message);
    const [, configMap, deployment, service] = result.objects;
    expect(configMap?.data).toEqual({ 'proxy.json': 'apps/edge via other:1' });
    expect(deployment?.spec).toMatchObject({
      replicas: 3,
      template: { spec: { containers: [{ image: 'mine:2' }] } },
    });
    expect(service?.spec).toMatchObject({ type: 'ClusterIP' });
  });

  it('refuses a Gateway without a uid or without a ready listener, naming why', () => {
    const noUid = gateway();
    noUid.metadata.uid = undefined;
    expect(desiredDataPlane(noUid, ir([80]), { template, xdsAddress: 'x:1' })).toEqual({
      ok: false,
      message: 'the Gateway has no namespace or uid yet',
    });
    expect(desiredDataPlane(gateway(), ir([]), { template, xdsAddress: 'x:1' })).toMatchObject({ ok: false });
  });
});

describe('serviceAddresses', () => {
  const service = (spec: Service['spec'], status?: unknown): Service =>
    ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'apps' },
      spec,
      status,
    }) as Service;

  it('uses only the load-balancer ingress of a LoadBalancer Service', () => {
    expect(serviceAddresses(service({ type: 'LoadBalancer', clusterIP: '10.0.0.1' }))).toEqual([]);
    expect(
      serviceAddresses(
        service(
          { type: 'LoadBalancer', clusterIP: '10.0.0.1' },
          { loadBalancer: { ingress: [{ ip: '203.0.113.7' }, { hostname: 'lb.example.com' }] } },
        ),
      ),
    ).toEqual([
      { type: 'IPAddress', value: '203.0.113.7' },
      { type: 'Hostname', value: 'lb.example.com' },
    ]);
  });

  it('uses the cluster IP of a ClusterIP or NodePort Service, none of a headless one', () => {
    expect(serviceAddresses(service({ type: 'ClusterIP', clusterIP: '10.0.0.1' }))).toEqual([
      { type: 'IPAddress', value: '10.0.0.1' },
    ]);
    expect(serviceAddresses(service({ type: 'NodePort', clusterIP: '10.0.0.2' }))).toEqual([
      { type: 'IPAddress', value: '10.0.0.2' },
    ]);
    expect(serviceAddresses(service({ clusterIP: 'None' }))).toEqual([]);
    expect(serviceAddresses(undefined)).toEqual([]);
  });
});

/** A provisioned object read as nested fields (the test knows the shape it built). */
// biome-ignore lint/suspicious/noExplicitAny: the test reads back fields of the objects it built
function dig(object: unknown): any {
  return object;
}

describe('desiredDataPlane with an EnvoyProxy', () => {
  const withProxy = (spec: EnvoyProxySpec): GatewayIR => ({
    ...ir([80]),
    envoyProxy: envoyProxyIR(spec, []),
  });

  it('applies replicas, resources, image, pod labels and annotations, scheduling, env, volumes and the Service settings', () => {
    const affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } };
    const result = desiredDataPlane(
      gateway({ infrastructure: { labels: { team: 'a' } } }),
      withProxy({
        provider: {
          type: 'Kubernetes',
          kubernetes: {
            envoyDeployment: {
              replicas: 3,
              strategy: { type: 'Recreate' },
              container: {
                resources: { requests: { cpu: '500m' }, limits: { memory: '2Gi' } },
                imageRepository: 'mirror.example/envoy',
                env: [{ name: 'EXTRA', value: '1' }],
                volumeMounts: [{ name: 'sockets', mountPath: '/run/sockets' }],
              },
              pod: {
                labels: { tier: 'edge', [PROVISIONED_GATEWAY_LABEL]: 'hijack' },
                annotations: { 'prometheus.io/scrape': 'true' },
                affinity,
                tolerations: [{ key: 'edge', operator: 'Exists' }],
                nodeSelector: { pool: 'edge' },
                volumes: [{ name: 'sockets', hostPath: { path: '/run/sockets' } }],
              },
            },
            envoyService: {
              type: 'NodePort',
              annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' },
              labels: { exposed: 'yes' },
              externalTrafficPolicy: 'Local',
            },
          },
        },
      }),
      { template, xdsAddress: 'xds:18000' },
    );
    if (!result.ok) throw new Error(result.message);
    const [, , deployment, service] = result.objects.map(dig);
    expect(deployment?.spec.replicas).toBe(3);
    expect(deployment?.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = deployment?.spec.template;
    expect(pod.metadata.labels).toMatchObject({
      tier: 'edge',
      team: 'a',
      [PROVISIONED_GATEWAY_LABEL]: 'switchyard-edge',
    });
    expect(pod.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(pod.spec.affinity).toEqual(affinity);
    expect(pod.spec.tolerations).toEqual([{ key: 'edge', operator: 'Exists' }]);
    expect(pod.spec.nodeSelector).toEqual({ pool: 'edge' });
    expect(pod.spec.volumes.at(-1)).toEqual({ name: 'sockets', hostPath: { path: '/run/sockets' } });
    const container = pod.spec.containers[0];
    expect(container.image).toBe('mirror.example/envoy:1');
    expect(container.resources).toEqual({ requests: { cpu: '500m' }, limits: { memory: '2Gi' } });
    expect(container.env.at(-1)).toEqual({ name: 'EXTRA', value: '1' });
    expect(container.volumeMounts.at(-1)).toEqual({ name: 'sockets', mountPath: '/run/sockets' });
    expect(service?.spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local' });
    expect(service?.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
    });
    expect(service?.metadata.labels).toMatchObject({ exposed: 'yes', team: 'a' });
    // Only the Service carries the Service's labels.
    expect(deployment?.metadata.labels.exposed).toBeUndefined();
  });

  it('adds the process arguments the template derives from the EnvoyProxy', () => {
    const withArgs: DataPlaneTemplate = {
      ...template,
      processArgs: (proxy) => (proxy === undefined ? ['--default'] : ['--level', proxy.logLevel.default]),
    };
    const args = (result: ReturnType<typeof desiredDataPlane>) =>
      result.ok ? dig(result.objects[2]).spec.template.spec.containers[0].args : [];
    expect(args(desiredDataPlane(gateway(), ir([80]), { template: withArgs, xdsAddress: 'x:1' }))).toEqual([
      '-c',
      '/etc/proxy/proxy.json',
      '--default',
    ]);
    expect(
      args(
        desiredDataPlane(gateway(), withProxy({ logging: { level: { default: 'debug' } } }), {
          template: withArgs,
          xdsAddress: 'x:1',
        }),
      ),
    ).toEqual(['-c', '/etc/proxy/proxy.json', '--level', 'debug']);
  });
});
