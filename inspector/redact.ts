import { redactShown } from '../model/shared/secret-fields.ts';
import { REDACTED, redactSecrets } from '../runtime/logger.ts';

// What the inspector serves is copied through here: Secret data and credential-looking fields never leave it.

/** A Kubernetes object fit to show: a Secret keeps its name, type and the names of its keys, not their values. */
export function redactResource(object: unknown): unknown {
  if (object === null || typeof object !== 'object') return object;
  const source = object as Record<string, unknown>;
  if (source.kind === 'Secret') {
    const metadata = (source.metadata ?? {}) as Record<string, unknown>;
    const keys = [
      ...Object.keys((source.data ?? {}) as object),
      ...Object.keys((source.stringData ?? {}) as object),
    ].sort();
    return {
      apiVersion: source.apiVersion,
      kind: 'Secret',
      metadata: { name: metadata.name, namespace: metadata.namespace, ...generationOf(metadata) },
      type: source.type,
      data: Object.fromEntries(keys.map((key) => [key, REDACTED])),
    };
  }
  return redactDeep(dropAnnotations(source));
}

/**
 * Any other value (IR, problems, errors): the secret fields of the table (model/shared/secret-fields.ts), any string
 * holding one of `secretValues`, credential-looking fields and embedded Secrets, at any depth.
 */
export function redactDeep(value: unknown, secretValues: ReadonlySet<string> = new Set()): unknown {
  return redactByName(redactShown(value, secretValues));
}

function redactByName(value: unknown, depth = 0): unknown {
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactByName(item, depth + 1));
  const source = value as Record<string, unknown>;
  if (source.kind === 'Secret') return redactResource(source);
  const shallow = redactSecrets(source, 8) as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shallow)) copy[key] = redactByName(field, depth + 1);
  return copy;
}

function generationOf(metadata: Record<string, unknown>): Record<string, unknown> {
  return metadata.generation === undefined ? {} : { generation: metadata.generation };
}

// last-applied-configuration repeats a whole object, Secret data included when a Secret was applied.
function dropAnnotations(source: Record<string, unknown>): Record<string, unknown> {
  const metadata = source.metadata as Record<string, unknown> | undefined;
  if (metadata === undefined || (metadata.managedFields === undefined && metadata.annotations === undefined))
    return source;
  const { managedFields: _m, annotations, ...rest } = metadata;
  const kept = Object.fromEntries(
    Object.entries((annotations ?? {}) as Record<string, unknown>).filter(
      ([key]) => key !== 'kubectl.kubernetes.io/last-applied-configuration',
    ),
  );
  return { ...source, metadata: Object.keys(kept).length === 0 ? rest : { ...rest, annotations: kept } };
}
