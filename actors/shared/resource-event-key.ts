import type { ResourceEvent } from '../../model/resources/resource-events.ts';
import { formatResourceKey, keyOf } from '../../model/resources/resource-key.ts';

/** Coalescing key of a controller's inbox: the object; the latest event about an object wins. */
export function resourceEventKey(event: ResourceEvent): string {
  switch (event.type) {
    case 'resource.upserted':
      return formatResourceKey(keyOf(event.object));
    case 'resources.upserted':
      // A batch stands for no single object: its own message (a later change of one of its objects follows it).
      return `upserted:${event.meta.id}`;
    case 'resource.deleted':
      return formatResourceKey(event.key);
    case 'resource.fetched':
      return `fetched:${event.keys.map(formatResourceKey).join(',')}`;
    default:
      return `synced:${event.kinds.join(',')}`;
  }
}
