// The GatewayClass patcher's finalizer port in Kubernetes mode: add or remove our finalizer with a JSON merge
// patch of metadata.finalizers that carries the object's resourceVersion, so a concurrent change to the list (by
// another controller) makes the patch fail and the patcher retry on a fresh read instead of dropping theirs.

import type { KindName } from '../../model/resources/kinds.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { type ApiResource, KubeApiError, type KubeClient } from './client.ts';

/** The finalizer the Gateway API names for a GatewayClass that Gateways still use. */
export const GATEWAY_CLASS_FINALIZER = 'gateway-exists-finalizer.gateway.networking.k8s.io';

export function kubernetesFinalizerWriter(
  client: KubeClient,
  resources: ReadonlyMap<KindName, ApiResource | undefined>,
) {
  return async ({ key, finalizer, present }: { key: ResourceKey; finalizer: string; present: boolean }) => {
    const resource = resources.get(key.kind as KindName);
    if (resource === undefined) throw new Error(`the API server does not serve ${key.kind}`);
    const current = await client.get(resource, key.namespace, key.name);
    if (current === undefined) return { written: false };
    const metadata = current.metadata as { finalizers?: string[]; resourceVersion?: string };
    const finalizers = metadata.finalizers ?? [];
    if (finalizers.includes(finalizer) === present) return { written: false };
    const next = present ? [...finalizers, finalizer] : finalizers.filter((f) => f !== finalizer);
    try {
      await client.mergePatch(resource, key.namespace, key.name, {
        metadata: { finalizers: next, resourceVersion: metadata.resourceVersion },
      });
      return { written: true };
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return { written: false };
      throw error;
    }
  };
}
