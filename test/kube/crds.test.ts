// The CRDs the global setup installs: the Gateway API experimental channel at its pinned version and the
// Inference Extension's InferencePool, both served and validating.
import { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { kubeTest } from '../harness/kube/index.ts';
import { GATEWAY_API_VERSION } from '../provision/gateway-api-crds.ts';

kubeTest('the Gateway API experimental channel is installed at the pinned version', async ({ kube }) => {
  const crds = await kube.kubeConfig.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
  const gatewayApi = crds.items.filter((crd) => crd.spec.group === 'gateway.networking.k8s.io');
  expect(gatewayApi.map((crd) => crd.spec.names.kind)).toEqual(
    expect.arrayContaining([
      'Gateway',
      'GatewayClass',
      'HTTPRoute',
      'GRPCRoute',
      'TLSRoute',
      'TCPRoute',
      'UDPRoute',
    ]),
  );
  expect(gatewayApi.map((crd) => crd.spec.names.kind)).toEqual(
    expect.arrayContaining(['ReferenceGrant', 'BackendTLSPolicy', 'ListenerSet']),
  );
  for (const crd of gatewayApi) {
    expect(crd.metadata?.annotations?.['gateway.networking.k8s.io/bundle-version']).toBe(GATEWAY_API_VERSION);
    expect(crd.metadata?.annotations?.['gateway.networking.k8s.io/channel']).toBe('experimental');
  }
});

kubeTest('an InferencePool (inference.networking.k8s.io/v1) is accepted and validated', async ({ kube }) => {
  const api = kube.kubeConfig.makeApiClient(CustomObjectsApi);
  const pool = (targetPorts: { number: number }[]) => ({
    group: 'inference.networking.k8s.io',
    version: 'v1',
    namespace: kube.namespace,
    plural: 'inferencepools',
    body: {
      apiVersion: 'inference.networking.k8s.io/v1',
      kind: 'InferencePool',
      metadata: { name: targetPorts.length > 0 ? 'models' : 'no-ports', namespace: kube.namespace },
      spec: {
        selector: { matchLabels: { app: 'model-server' } },
        targetPorts,
        endpointPickerRef: { name: 'picker', port: { number: 9002 } },
      },
    },
  });
  const created = await api.createNamespacedCustomObject(pool([{ number: 8000 }]));
  expect(created.spec.targetPorts).toEqual([{ number: 8000 }]);
  await expect(api.createNamespacedCustomObject(pool([]))).rejects.toThrow(/targetPorts/);
});

kubeTest(
  "the CRDs' validation rules and list types are installed, not dropped on the way",
  async ({ kube }) => {
    const api = kube.kubeConfig.makeApiClient(CustomObjectsApi);
    const route = (name: string, filters: unknown[]) => ({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      namespace: kube.namespace,
      plural: 'httproutes',
      dryRun: 'All',
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name, namespace: kube.namespace },
        spec: { rules: [{ filters }] },
      },
    });
    // x-kubernetes-validations: a RequestRedirect filter needs its requestRedirect field.
    await expect(
      api.createNamespacedCustomObject(route('redirect', [{ type: 'RequestRedirect' }])),
    ).rejects.toThrow(/filter.requestRedirect must be specified for RequestRedirect filter.type/);
    const crd = await kube.kubeConfig
      .makeApiClient(ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'gateways.gateway.networking.k8s.io' });
    const listeners = crd.spec.versions.find((version) => version.name === 'v1')?.schema?.openAPIV3Schema
      ?.properties?.spec?.properties?.listeners;
    expect(listeners?.x_kubernetes_list_type).toBe('map');
    expect(listeners?.x_kubernetes_validations?.length).toBeGreaterThan(0);
  },
);
