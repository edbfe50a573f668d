// Installs CRDs (and the objects shipped with them) and waits until the API server serves every one.

import { setTimeout as sleep } from 'node:timers/promises';
import { ApiextensionsV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { serverSideApply } from './server-side-apply.ts';

export async function installCrds(
  kubeConfig: KubeConfig,
  objects: readonly KubernetesObject[],
): Promise<void> {
  await serverSideApply(kubeConfig, objects.map(withTypedSchemaKeys));
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const crdNames = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata!.name!);
  for (const name of crdNames) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      if (established?.status === 'True') break;
      if (Date.now() > deadline)
        throw new Error(`CRD ${name} not Established after 60 s: ${JSON.stringify(crd.status)}`);
      await sleep(100);
    }
  }
}

/**
 * The client serializes a CRD through its typed model, which knows `x-kubernetes-int-or-string` and friends only
 * by their property names (`x_kubernetes_int_or_string`) and drops them when written as in YAML: without this, a
 * CRD lost its int-or-string and preserve-unknown-fields markers (the API server then refused an int-or-string
 * field without a type, or pruned fields the schema meant to keep).
 */
function withTypedSchemaKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withTypedSchemaKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const typedKey = key.startsWith('x-kubernetes-') ? key.replaceAll('-', '_') : key;
    out[typedKey] = withTypedSchemaKeys(field);
  }
  return out as T;
}
