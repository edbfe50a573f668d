// One owner per object, whatever the order files are read or changed in: the last file in path order of those that
// define it (as `kubectl apply -f <dir>` would leave it); the others are remembered by file, and the next in line
// is read again when the owner stops defining it. Objects sent on get a generation, bumped when their spec changes.
import type { RawObject, ResourceUpserted, UpsertedObject } from '../../model/resources/resource-events.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { fingerprint } from '../../runtime/fingerprint.ts';
import { type DeliverRequest, deliverTo } from '../../runtime/outbox.ts';
import type { Definition, FilesSourceContext, Item } from './source-state.ts';

/** `file` defines the object `id`: it is sent on if `file` is (now) the last in path order to define it. */
export function claim(
  context: FilesSourceContext,
  id: string,
  file: string,
  definition: Definition,
  orphans: Map<string, ResourceKey>,
  out: Item[],
): void {
  const current = context.owner.get(id);
  const defined = context.alsoDefinedIn.get(id);
  if (defined === undefined && (current === undefined || current === file)) {
    // The usual case: one file defines it.
    orphans.delete(id);
    send(context, id, file, definition, out);
    return;
  }
  const others = defined ?? new Set<string>();
  others.delete(file);
  // A current owner that no longer defines it (changed or removed in this read) is no contender.
  if (current !== undefined && current !== file && !orphans.has(id)) others.add(current);
  orphans.delete(id);
  const winner = lastInPathOrder([...others, file]) as string;
  others.add(file);
  others.delete(winner);
  if (others.size > 0) context.alsoDefinedIn.set(id, others);
  else context.alsoDefinedIn.delete(id);
  if (winner !== file) {
    if (winner !== current) takeOver(context, id, winner);
    return;
  }
  send(context, id, file, definition, out);
}

function send(
  context: FilesSourceContext,
  id: string,
  file: string,
  definition: Definition,
  out: Item[],
): void {
  context.owner.set(id, file);
  out.push(
    deliverTo(context.routes[definition.key.kind] as string, {
      type: 'resource.upserted',
      object: withGeneration(context, id, definition.object),
      origin: definition.origin,
      ...(definition.crdChecked ? { crdChecked: true } : {}),
    }),
  );
}

/** Objects per `resources.upserted`: a batch is one step of its owner (~30 µs an object). */
const UPSERTS_PER_BATCH = 500;

/**
 * The upserts of a step as one `resources.upserted` per owner (in order, at most UPSERTS_PER_BATCH objects each),
 * where its first upsert was; everything else in place. An owner that is sent anything else in the step gets its
 * upserts one by one, so the order of what it receives stays as it was.
 */
export function groupUpserts(items: readonly Item[]): Item[] {
  const mixed = new Set<string>();
  for (const item of items)
    if (item.type === 'deliver' && item.message.type !== 'resource.upserted') mixed.add(item.to);
  const open = new Map<string, Item[]>();
  const out: (Item | Item[])[] = [];
  for (const item of items) {
    if (item.type !== 'deliver' || item.message.type !== 'resource.upserted' || mixed.has(item.to)) {
      out.push(item);
      continue;
    }
    let group = open.get(item.to);
    if (group === undefined || group.length === UPSERTS_PER_BATCH) {
      group = [];
      open.set(item.to, group);
      out.push(group);
    }
    group.push(item);
  }
  // A lone upsert stays as it was: a small listing reads in the trace as it always did.
  return out.map((entry) => {
    if (!Array.isArray(entry)) return entry;
    const first = entry[0] as DeliverRequest;
    if (entry.length === 1) return first;
    const objects = entry.map((item): UpsertedObject => {
      const { object, origin, crdChecked } = (item as DeliverRequest).message as ResourceUpserted;
      return crdChecked === undefined ? { object, origin } : { object, origin, crdChecked };
    });
    return deliverTo(first.to, { type: 'resources.upserted', objects });
  });
}

/** `file` becomes the owner of `id`; its definition is read again (only the file is remembered, not the object). */
export function takeOver(context: FilesSourceContext, id: string, file: string): void {
  const others = context.alsoDefinedIn.get(id);
  others?.delete(file);
  if (others?.size === 0) context.alsoDefinedIn.delete(id);
  context.owner.set(id, file);
  if (!context.rereads.includes(file)) context.rereads.push(file);
}

export function lastInPathOrder(files: Iterable<string>): string | undefined {
  let last: string | undefined;
  for (const file of files) if (last === undefined || file > last) last = file;
  return last;
}

/** Files carry no generation: give objects one, bumped when their spec changes, as the API server does. */
function withGeneration(context: FilesSourceContext, id: string, object: RawObject): RawObject {
  if (typeof object.metadata?.generation === 'number') return object;
  const { metadata, status: _status, ...rest } = object;
  const previous = context.generations.get(id);
  let generation = 1;
  if (previous === undefined) {
    // First sight: keep the spec itself (shared with the stored object); it is hashed only if read again.
    context.generations.set(id, { spec: rest, generation });
  } else {
    const digest = fingerprint(rest);
    const before = typeof previous.spec === 'string' ? previous.spec : fingerprint(previous.spec);
    generation = before === digest ? previous.generation : previous.generation + 1;
    context.generations.set(id, { spec: digest, generation });
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    return { ...object, metadata: { generation } };
  // In place: the object was just parsed and nothing else holds it yet. A copy would leave the parsed object
  // behind as garbage that has already outlived young collections (the whole listing is applied at once).
  (metadata as { generation?: number }).generation = generation;
  return object;
}
