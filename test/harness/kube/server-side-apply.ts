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
        object.kind === 'CustomResourceDefinition' ? withTypedMarkers(object) : object,
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
 * The client serializes a CRD through its typed model, which knows the `x-kubernetes-*` markers only by their
 * property names (`x_kubernetes_int_or_string`, …) and drops them when written as in YAML: the API server then
 * refuses an int-or-string field without a type (our ClientTrafficPolicy's quantities), and prunes what
 * `x-kubernetes-preserve-unknown-fields` keeps (an EnvoyProxy's pod affinity, resources, …). kubectl keeps both.
 */
const TYPED_MARKERS: Readonly<Record<string, string>> = {
  'x-kubernetes-int-or-string': 'x_kubernetes_int_or_string',
  'x-kubernetes-preserve-unknown-fields': 'x_kubernetes_preserve_unknown_fields',
};

function withTypedMarkers<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withTypedMarkers) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[TYPED_MARKERS[key] ?? key] = withTypedMarkers(field);
  return out as T;
}
