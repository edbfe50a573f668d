// Installs CRDs (and the objects shipped with them) and waits until the API server serves every one.

import { setTimeout as sleep } from 'node:timers/promises';
import { ApiextensionsV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { serverSideApply } from './server-side-apply.ts';

export async function installCrds(
  kubeConfig: KubeConfig,
  objects: readonly KubernetesObject[],
): Promise<void> {
  await serverSideApply(kubeConfig, objects);
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
