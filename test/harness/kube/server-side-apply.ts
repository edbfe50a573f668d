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
 * The client serializes a CRD through its typed model, which knows a schema's fields by its own property names
 * (`x_kubernetes_validations`, `_default`, `_enum`, …) and drops them when written as in YAML. It does so only
 * where the model types a schema: `properties` (and `allOf`, `not`, …) hold typed schemas, but `items` and
 * `additionalProperties` are untyped and go out as written. Written as in YAML everywhere, the API server got no
 * defaults, enums or validation rules outside list items, and no int-or-string or preserve-unknown-fields
 * markers; renamed everywhere, it got none inside list items. kubectl keeps them all; so does this, renaming
 * exactly where the model reads its own names.
 */
const TYPED_NAMES: Readonly<Record<string, string>> = {
  $ref: 'ref',
  $schema: 'schema',
  default: '_default',
  enum: '_enum',
  'x-kubernetes-embedded-resource': 'x_kubernetes_embedded_resource',
  'x-kubernetes-int-or-string': 'x_kubernetes_int_or_string',
  'x-kubernetes-list-map-keys': 'x_kubernetes_list_map_keys',
  'x-kubernetes-list-type': 'x_kubernetes_list_type',
  'x-kubernetes-map-type': 'x_kubernetes_map_type',
  'x-kubernetes-preserve-unknown-fields': 'x_kubernetes_preserve_unknown_fields',
  'x-kubernetes-validations': 'x_kubernetes_validations',
};
/** Fields of a typed schema holding typed schemas: by name, in a list, or alone. */
const TYPED_SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions']);
const TYPED_SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);

function withTypedMarkers<T extends KubernetesObject>(crd: T): T {
  const copy = structuredClone(crd) as T & {
    spec?: { versions?: { schema?: { openAPIV3Schema?: unknown } }[] };
  };
  for (const version of copy.spec?.versions ?? []) {
    if (version.schema?.openAPIV3Schema !== undefined)
      version.schema.openAPIV3Schema = typedSchema(version.schema.openAPIV3Schema);
  }
  return copy;
}

function typedSchema(schema: unknown): unknown {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    let typed = value;
    if (TYPED_SCHEMA_MAPS.has(key) && value !== null && typeof value === 'object') {
      typed = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, typedSchema(child)]));
    } else if (TYPED_SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      typed = value.map(typedSchema);
    } else if (key === 'not') {
      typed = typedSchema(value);
    }
    out[TYPED_NAMES[key] ?? key] = typed;
  }
  return out;
}
