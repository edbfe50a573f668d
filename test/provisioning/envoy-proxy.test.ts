// EnvoyProxy as Gateway parameters against a real kube-apiserver: the provisioner applies it to the Deployment
// and Service it creates (over the class's GatewayClassParameters), the EnvoyProxy and the Gateway carry the
// statuses Envoy Gateway writes, and an EnvoyProxy with a field Switchyard does not apply is refused by name.
// The seeds' EnvoyProxy (replicas, resources, pod anti-affinity, an NLB Service) is the one applied.
import { expect } from 'vitest';
import { envoyDataPlaneTemplate } from '../../backends/envoy/data-plane-template.ts';
import {
  eventually,
  statusCondition,
  waitForObject,
  yamlObjects,
} from '../controlplane/kubernetes-harness.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import {
  getObject,
  parameterizedClassYaml,
  provisioningPlanes,
  startProvisioning,
} from './provisioned-objects.ts';

const start = provisioningPlanes('envoy', envoyDataPlaneTemplate(), 'switchyard.switchyard-system.svc:18000');

function envoyProxyYaml(ns: string, extra = ''): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: {name: custom-proxy, namespace: ${ns}}
spec:
  provider:
    type: Kubernetes
    kubernetes:
      envoyDeployment:
        replicas: 3
        container:
          resources:
            requests: {cpu: 500m, memory: 512Mi}
            limits: {cpu: 2000m, memory: 2Gi}
        pod:
          labels: {tier: edge}
          annotations: {prometheus.io/scrape: "true"}
          affinity:
            podAntiAffinity:
              preferredDuringSchedulingIgnoredDuringExecution:
              - weight: 100
                podAffinityTerm:
                  labelSelector:
                    matchLabels: {gateway.envoyproxy.io/owning-gateway-name: main-gateway}
                  topologyKey: kubernetes.io/hostname
      envoyService:
        type: NodePort
        annotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}
  logging: {level: {default: debug, upstream: info}}
  concurrency: 2
${extra}`;
}

kubeTest(
  "a Gateway's EnvoyProxy shapes its provisioned Deployment and Service, with the statuses Envoy Gateway writes",
  async ({ kube }) => {
    const { plane, ns } = await startProvisioning(
      kube,
      start,
      'eproxy',
      ({ ns, controllerName, className }) =>
        yamlObjects(`${parameterizedClassYaml(
          className,
          controllerName,
          '{backend: envoy, dataPlane: {replicas: 1, serviceType: LoadBalancer}}',
        )}
---
${envoyProxyYaml(ns)}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ${ns}}
spec:
  gatewayClassName: ${className}
  infrastructure:
    parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: custom-proxy}
  listeners: [{name: http, protocol: HTTP, port: 80}]
`),
    );

    const deployment = await eventually(
      'the Deployment with the EnvoyProxy replicas',
      async () => {
        const found = await getObject(plane, 'Deployment', ns, 'switchyard-edge');
        return (found?.spec as { replicas?: number } | undefined)?.replicas === 3 ? found : undefined;
      },
      plane,
    );
    const template = (
      deployment.spec as { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } }
    ).template;
    expect(template.metadata).toMatchObject({
      labels: { tier: 'edge', 'switchyard.dev/gateway': 'switchyard-edge' },
      annotations: { 'prometheus.io/scrape': 'true' },
    });
    expect(template.spec.affinity).toMatchObject({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [expect.objectContaining({ weight: 100 })],
      },
    });
    const container = (template.spec.containers as { args: string[]; resources: unknown }[])[0];
    expect(container?.resources).toEqual({
      requests: { cpu: '500m', memory: '512Mi' },
      limits: { cpu: '2', memory: '2Gi' },
    });
    expect(container?.args.slice(4)).toEqual([
      '--log-level',
      'debug',
      '--component-log-level',
      'upstream:info',
      '--concurrency',
      '2',
    ]);
    const service = await getObject(plane, 'Service', ns, 'switchyard-edge');
    expect(service?.spec).toMatchObject({ type: 'NodePort' });
    expect(service?.metadata.annotations).toMatchObject({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
    });

    const accepted = await waitForObject(
      plane,
      'EnvoyProxy',
      ns,
      'custom-proxy',
      (proxy) => JSON.stringify(proxy.status ?? {}).includes('"Accepted"'),
      'an ancestor status',
    );
    expect((accepted.status as { ancestors: unknown[] }).ancestors).toEqual([
      {
        ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: ns, name: 'edge' },
        conditions: [
          expect.objectContaining({
            type: 'Accepted',
            status: 'True',
            reason: 'Accepted',
            message: 'EnvoyProxy has been accepted.',
          }),
        ],
      },
    ]);
    await waitForObject(
      plane,
      'Gateway',
      ns,
      'edge',
      (gw) => statusCondition(gw, 'Accepted')?.status === 'True',
    );

    // A field Switchyard does not apply: the EnvoyProxy and the Gateway say which, and nothing is half-applied.
    await serverSideApply(
      kube.kubeConfig,
      yamlObjects(envoyProxyYaml(ns, '  telemetry:\n    tracing: {samplingRate: 100}')),
    );
    const refused = await waitForObject(
      plane,
      'Gateway',
      ns,
      'edge',
      (gw) => statusCondition(gw, 'Accepted')?.reason === 'InvalidParameters',
      'Accepted=False/InvalidParameters',
    );
    expect((refused.status as { conditions: { type: string; message: string }[] }).conditions).toContainEqual(
      expect.objectContaining({
        type: 'Accepted',
        status: 'False',
        message: `EnvoyProxy ${ns}/custom-proxy: spec.telemetry.tracing: not supported by Switchyard (tracing is not supported)`,
      }),
    );
    const invalid = await waitForObject(
      plane,
      'EnvoyProxy',
      ns,
      'custom-proxy',
      (proxy) => JSON.stringify(proxy.status ?? {}).includes('InvalidParameters'),
      'InvalidParameters on the ancestor',
    );
    expect(JSON.stringify(invalid.status)).toContain('spec.telemetry.tracing');
  },
  180_000,
);

kubeTest(
  'an EnvoyProxy as GatewayClass parameters, and Backend statuses, are written on the API server',
  async ({ kube }) => {
    const { plane, ns, className } = await startProvisioning(
      kube,
      start,
      'eproxy-class',
      ({ ns, controllerName, className }) =>
        yamlObjects(`apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: {name: class-proxy, namespace: ${ns}}
spec:
  provider: {type: Kubernetes, kubernetes: {envoyDeployment: {replicas: 2}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: ${className}}
spec:
  controllerName: ${controllerName}
  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: class-proxy, namespace: ${ns}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ${ns}}
spec:
  gatewayClassName: ${className}
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: external, namespace: ${ns}}
spec:
  endpoints: [{fqdn: {hostname: api.example.com, port: 443}}]
  tls: {wellKnownCACertificates: System, sni: api.example.com}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: loopback, namespace: ${ns}}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: 19000}}]
`),
    );
    await waitForObject(
      plane,
      'GatewayClass',
      undefined,
      className,
      (c) => statusCondition(c, 'Accepted')?.status === 'True',
    );
    await eventually(
      'the Deployment with the class EnvoyProxy replicas',
      async () => {
        const found = await getObject(plane, 'Deployment', ns, 'switchyard-edge');
        return (found?.spec as { replicas?: number } | undefined)?.replicas === 2 ? found : undefined;
      },
      plane,
    );
    const proxy = await waitForObject(plane, 'EnvoyProxy', ns, 'class-proxy', (p) =>
      JSON.stringify(p.status ?? {}).includes('"Accepted"'),
    );
    expect(
      (proxy.status as { ancestors: { ancestorRef: unknown }[] }).ancestors.map((a) => a.ancestorRef),
    ).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: className }]);
    const backend = (name: string) =>
      waitForObject(plane, 'Backend', ns, name, (b) => statusCondition(b, 'Accepted') !== undefined);
    const external = await backend('external');
    expect(statusCondition(external, 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    // In a cluster a loopback address would reach the proxy pod itself (its admin port here): refused.
    const loopback = await backend('loopback');
    expect(statusCondition(loopback, 'Accepted')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(JSON.stringify(loopback.status)).toContain('127.0.0.1 is a loopback address');
  },
  180_000,
);
