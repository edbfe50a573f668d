import { describeResourceKey } from '../model/resources/resource-key.ts';
import type { Message } from '../runtime/message.ts';

// What a message is about, for filtering flows by resource: the `Kind namespace/name` of the object or key it
// carries (resource and watch events, status writes, Gateway resolutions, backend events). Never any of its data.

interface KeyLike {
  readonly kind: string;
  readonly namespace?: string | undefined;
  readonly name: string;
}

export function resourceSubject(message: Message): string | undefined {
  const fields = message as unknown as Record<string, unknown>;
  for (const field of ['key', 'gateway', 'route']) {
    const key = fields[field];
    if (isKey(key)) return describeResourceKey(key);
  }
  // A Kubernetes watch event carries its object one level down (`event.object`).
  const event = fields.event as { object?: unknown } | null | undefined;
  const single = objectSubject(fields.object ?? (typeof event === 'object' ? event?.object : undefined));
  if (single !== undefined) return single;
  // A batch (the initial listing's `resources.upserted`, what an owner stored of it: `resources.changed`, a
  // patcher's `statuses.desired`) is about every object in it, so filtering by any of them finds it.
  const keyed = Array.isArray(fields.changes)
    ? fields.changes
    : Array.isArray(fields.statuses)
      ? fields.statuses
      : undefined;
  const many = Array.isArray(fields.objects)
    ? fields.objects.map((item) => objectSubject((item as { object?: unknown } | null)?.object))
    : keyed !== undefined
      ? keyed.map((change) => {
          const key = (change as { key?: unknown } | null)?.key;
          return isKey(key) ? describeResourceKey(key) : undefined;
        })
      : [];
  const named = many.filter((subject) => subject !== undefined);
  return named.length === 0 ? undefined : named.join(', ');
}

function objectSubject(value: unknown): string | undefined {
  const object = value as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | undefined;
  if (object === null || typeof object !== 'object' || typeof object.kind !== 'string') return undefined;
  const name = object.metadata?.name;
  const namespace = object.metadata?.namespace;
  if (typeof name !== 'string') return undefined;
  return describeResourceKey({
    kind: object.kind,
    name,
    namespace: typeof namespace === 'string' ? namespace : undefined,
  });
}

function isKey(value: unknown): value is KeyLike {
  if (value === null || typeof value !== 'object') return false;
  const key = value as Record<string, unknown>;
  return typeof key.kind === 'string' && typeof key.name === 'string';
}
