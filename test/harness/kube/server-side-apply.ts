// Server-side apply of whole objects, as `kubectl apply --server-side [--dry-run=server]` does.
import {
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';

export const TEST_FIELD_MANAGER = 'switchyard-test';

export async function serverSideApply(
  kubeConfig: KubeConfig,
  objects: readonly KubernetesObject[],
  options: { dryRun?: boolean } = {},
): Promise<KubernetesObject[]> {
  const client = KubernetesObjectApi.makeApiClient(kubeConfig);
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    applied.push(
      await client.patch(
        object.kind === 'CustomResourceDefinition' ? withTypedIntOrString(object) : object,
        undefined,
        options.dryRun ? 'All' : undefined,
        TEST_FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      ),
    );
  }
  return applied;
}

/**
 * The client serializes a CRD through its typed model, which knows `x-kubernetes-int-or-string` only by its
 * property name (`x_kubernetes_int_or_string`) and drops it when written as in YAML: the API server then refuses
 * an int-or-string field without a type (our ClientTrafficPolicy's quantities). kubectl keeps it.
 * The other `x-kubernetes-*` markers are dropped as before: with `x-kubernetes-preserve-unknown-fields` kept, the
 * AI BackendSecurityPolicy's status conditions come back as `[{}]` (reported; the AI CRDs' status schema needs a
 * look before every marker is kept here).
 */
function withTypedIntOrString<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withTypedIntOrString) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value))
    out[key === 'x-kubernetes-int-or-string' ? 'x_kubernetes_int_or_string' : key] =
      withTypedIntOrString(field);
  return out as T;
}
