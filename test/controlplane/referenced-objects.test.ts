// Secrets and ConfigMaps are watched by reference against a real kube-apiserver: only what Gateways,
// BackendTLSPolicies and AI BackendSecurityPolicies reference is fetched and held; a referenced object created,
// changed or deleted later reaches the statuses without a restart; the type of a Secret no longer hides it.
import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'vitest';
import type { KubeObject } from '../../sources/kubernetes/client.ts';
import { createTestCertificates } from '../harness/echo/index.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import {
  anthropicBackendYaml,
  applyWithOwnGatewayClass,
  condition,
  gatewayClassYaml,
  gatewayYaml,
  planesStoppedAfterEach,
  type RunningControlPlane,
  statusCondition,
  waitForObject,
  yamlObjects,
} from './kubernetes-harness.ts';

const start = planesStoppedAfterEach();

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** The HTTPS listener for secure.example.com whose certificate is the Secret `secret`. */
const httpsListener = (secret: string) =>
  `[{name: https, protocol: HTTPS, port: 443, hostname: secure.example.com, tls: {certificateRefs: [{name: ${secret}}]}}]`;

type Listener = { name: string; conditions: unknown };

function listenerResolvedRefs(gateway: KubeObject, name: string) {
  const listeners = (gateway.status as { listeners?: Listener[] } | undefined)?.listeners;
  return condition(listeners?.find((l) => l.name === name)?.conditions, 'ResolvedRefs');
}

/** The names of the Secrets (or ConfigMaps) of `namespace` the plane holds in its store. */
function held(running: RunningControlPlane, kind: 'Secret' | 'ConfigMap', namespace: string): string[] {
  return running.plane.store.list(kind, namespace).map((object) => object.metadata.name);
}

kubeTest(
  'a Gateway’s certificate Secret: missing, then created, then of the wrong type — only referenced Secrets held',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = `switchyard.dev/${ns}`;
    const certs = await createTestCertificates(['secure.example.com']);
    const tlsSecret = (type: string) =>
      yamlObjects(`
apiVersion: v1
kind: Secret
metadata: {name: edge-tls, namespace: ${ns}}
type: ${type}
data: {tls.crt: ${b64(certs.cert)}, tls.key: ${b64(certs.key)}}
`);
    await serverSideApply(kube.kubeConfig, [
      ...yamlObjects(`
${gatewayClassYaml(ns, controllerName)}
---
${gatewayYaml(ns, 'edge', ns, httpsListener('edge-tls'))}
---
apiVersion: v1
kind: Secret
metadata: {name: unreferenced, namespace: ${ns}}
type: kubernetes.io/tls
data: {tls.crt: ${b64(certs.cert)}, tls.key: ${b64(certs.key)}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unreferenced, namespace: ${ns}}
data: {ca.crt: ${JSON.stringify(certs.caCert)}}
`),
    ]);
    const plane = await start(controllerName);
    const missing = await waitForObject(
      plane,
      'Gateway',
      ns,
      'edge',
      (gw) => listenerResolvedRefs(gw, 'https')?.status === 'False',
      'ResolvedRefs False for the missing Secret',
    );
    expect(listenerResolvedRefs(missing, 'https')).toMatchObject({ reason: 'InvalidCertificateRef' });

    // Created after start-up: it is fetched through its own watch, no restart, no relist.
    await serverSideApply(kube.kubeConfig, tlsSecret('kubernetes.io/tls'));
    await waitForObject(
      plane,
      'Gateway',
      ns,
      'edge',
      (gw) => listenerResolvedRefs(gw, 'https')?.status === 'True',
      'ResolvedRefs True once the Secret exists',
    );
    expect(held(plane, 'Secret', ns)).toEqual(['edge-tls']);
    expect(held(plane, 'ConfigMap', ns)).toEqual([]);

    // The type filter is gone, so a Secret of another type is seen — and rejected with the spec's reason.
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    await core.deleteNamespacedSecret({ name: 'edge-tls', namespace: ns });
    await serverSideApply(kube.kubeConfig, tlsSecret('Opaque'));
    const wrongType = await waitForObject(
      plane,
      'Gateway',
      ns,
      'edge',
      (gw) =>
        (listenerResolvedRefs(gw, 'https') as { message?: string } | undefined)?.message?.includes(
          'has type Opaque',
        ) === true,
      'ResolvedRefs False for an Opaque Secret',
    );
    expect(listenerResolvedRefs(wrongType, 'https')).toMatchObject({
      status: 'False',
      reason: 'InvalidCertificateRef',
      message: expect.stringContaining('has type Opaque, want kubernetes.io/tls'),
    });

    // No longer referenced: dropped from memory.
    await serverSideApply(kube.kubeConfig, yamlObjects(gatewayYaml(ns, 'edge', ns)));
    await waitForObject(plane, 'Gateway', ns, 'edge', (gw) => listenerResolvedRefs(gw, 'http') !== undefined);
    await expect.poll(() => held(plane, 'Secret', ns), { timeout: 10_000 }).toEqual([]);
  },
);

kubeTest('a BackendTLSPolicy follows its CA ConfigMap as it appears and changes', async ({ kube }) => {
  const ns = kube.namespace;
  const controllerName = `switchyard.dev/${ns}`;
  const certs = await createTestCertificates(['api.internal']);
  const caConfigMap = (pem: string) =>
    yamlObjects(`
apiVersion: v1
kind: ConfigMap
metadata: {name: api-ca, namespace: ${ns}}
data: {ca.crt: ${JSON.stringify(pem)}}
`);
  await serverSideApply(kube.kubeConfig, [
    ...yamlObjects(`
${gatewayClassYaml(ns, controllerName)}
---
${gatewayYaml(ns, 'edge', ns)}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: ${ns}}
spec: {ports: [{name: https, port: 443}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: ${ns}}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: api, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: api-tls, namespace: ${ns}}
spec:
  targetRefs: [{group: "", kind: Service, name: api}]
  validation:
    hostname: api.internal
    caCertificateRefs: [{group: "", kind: ConfigMap, name: api-ca}]
`),
  ]);
  const plane = await start(controllerName);
  const resolvedRefs = (policy: KubeObject) =>
    condition(
      (policy.status as { ancestors?: { conditions: unknown }[] } | undefined)?.ancestors?.[0]?.conditions,
      'ResolvedRefs',
    );
  const missing = await waitForObject(
    plane,
    'BackendTLSPolicy',
    ns,
    'api-tls',
    (p) => resolvedRefs(p)?.status === 'False',
    'ResolvedRefs False for the missing CA ConfigMap',
  );
  expect(resolvedRefs(missing)).toMatchObject({ reason: 'InvalidCACertificateRef' });

  await serverSideApply(kube.kubeConfig, caConfigMap(certs.caCert));
  await waitForObject(
    plane,
    'BackendTLSPolicy',
    ns,
    'api-tls',
    (p) => resolvedRefs(p)?.status === 'True',
    'ResolvedRefs True once the CA ConfigMap exists',
  );
  expect(held(plane, 'ConfigMap', ns)).toEqual(['api-ca']);

  // A change of the referenced ConfigMap propagates through its watch.
  await serverSideApply(kube.kubeConfig, caConfigMap('not a certificate'));
  const broken = await waitForObject(
    plane,
    'BackendTLSPolicy',
    ns,
    'api-tls',
    (p) => resolvedRefs(p)?.status === 'False',
    'ResolvedRefs False once the CA bundle is no PEM',
  );
  expect(resolvedRefs(broken)).toMatchObject({ reason: 'InvalidCACertificateRef' });
});

kubeTest('an AI BackendSecurityPolicy resolves its Opaque API-key Secret', async ({ kube }) => {
  const ns = kube.namespace;
  const controllerName = await applyWithOwnGatewayClass(
    kube,
    `
${gatewayYaml(ns, 'ai-gateway', ns, '[{name: http, protocol: HTTP, port: 8080}]')}
---
${anthropicBackendYaml(ns, 'sk-ant-test')}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: models, namespace: ${ns}}
spec:
  parentRefs: [{name: ai-gateway}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: claude-sonnet}]}]
      backendRefs: [{name: anthropic}]
`,
  );
  const plane = await start(controllerName);
  const policy = await waitForObject(
    plane,
    'BackendSecurityPolicy',
    ns,
    'anthropic-key',
    (p) => statusCondition(p, 'Accepted') !== undefined,
  );
  expect(statusCondition(policy, 'Accepted')).toMatchObject({
    status: 'True',
    reason: 'Accepted',
  });
  expect(held(plane, 'Secret', ns)).toEqual(['anthropic-key']);
});

kubeTest(
  'a Gateway switched to another existing Secret never reports it missing on the way',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = `switchyard.dev/${ns}`;
    const certs = await createTestCertificates(['secure.example.com']);
    const gateway = (secret: string) => yamlObjects(gatewayYaml(ns, 'edge', ns, httpsListener(secret)));
    const tlsSecrets = ['first', 'second'].map(
      (name) => `
apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: ${ns}}
type: kubernetes.io/tls
data: {tls.crt: ${b64(certs.cert)}, tls.key: ${b64(certs.key)}}`,
    );
    await serverSideApply(kube.kubeConfig, [
      ...yamlObjects(`
${gatewayClassYaml(ns, controllerName)}
---${tlsSecrets.join('\n---')}
`),
      ...gateway('first'),
    ]);
    const plane = await start(controllerName);
    const before = await waitForObject(
      plane,
      'Gateway',
      ns,
      'edge',
      (gw) => listenerResolvedRefs(gw, 'https')?.status === 'True',
    );
    expect(held(plane, 'Secret', ns)).toEqual(['first']);

    // Every status the Gateway goes through after the switch, read from a watch on it.
    const resource = plane.resources.get('Gateway')!;
    const stop = new AbortController();
    const seen: { generation: number; resolvedRefs: string | undefined }[] = [];
    const watched = (async () => {
      for await (const event of plane.client.watch(resource, String(before.metadata?.resourceVersion), {
        namespace: ns,
        fieldSelector: 'metadata.name=edge',
        signal: stop.signal,
      })) {
        if (event.type !== 'MODIFIED') continue;
        const resolvedRefs = listenerResolvedRefs(event.object, 'https');
        seen.push({ generation: resolvedRefs?.observedGeneration ?? 0, resolvedRefs: resolvedRefs?.status });
        if (resolvedRefs?.observedGeneration === 2 && resolvedRefs.status === 'True') return;
      }
    })().catch((error: unknown) => {
      if (!stop.signal.aborted) throw error;
    });
    await serverSideApply(kube.kubeConfig, gateway('second'));
    const timeout = setTimeout(() => stop.abort(), 15_000);
    await watched;
    clearTimeout(timeout);
    expect(seen.filter((s) => s.generation === 2)).toEqual([{ generation: 2, resolvedRefs: 'True' }]);
    await expect.poll(() => held(plane, 'Secret', ns), { timeout: 10_000 }).toEqual(['second']);
  },
);
