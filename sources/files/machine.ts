// The files source (standalone mode): lists every manifest under the given paths, sends each object to the
// controller of its kind, tells them when the initial listing is complete, then (optionally) watches the files:
// a changed file is re-read, and objects that disappeared from it are deleted.
import { assign, enqueueActions, setup } from 'xstate';
import type { RawObject } from '../../model/resources/resource-events.ts';
import { formatResourceKey, keyOf, type ResourceKey } from '../../model/resources/resource-key.ts';
import { fingerprint } from '../../runtime/fingerprint.ts';
import { deliverTo, type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import type { ManifestFile } from './manifests.ts';
import type { FilesSourceMessage } from './messages.ts';

export interface FilesSourceInput {
  /** Kind → the actor that owns it. */
  readonly routes: Readonly<Record<string, string>>;
  readonly watch: boolean;
}

/** What the `read-files` port returns. */
export interface FilesRead {
  readonly files: readonly ManifestFile[];
  /** Files that were read before and are gone now. */
  readonly removed: readonly string[];
  /** Paths that could not be listed. */
  readonly errors: readonly string[];
}

/** What the `report-problem` port receives. */
export interface SourceProblem {
  readonly origin: string;
  readonly message: string;
  /** The input itself could not be read (missing path, broken YAML), as opposed to a problem with an object. */
  readonly unreadable?: boolean;
}

interface Contribution {
  readonly key: ResourceKey;
  readonly origin: string;
}

interface FilesSourceContext extends FilesSourceInput {
  /** file → object id → what the file defines */
  readonly byFile: Map<string, Map<string, Contribution>>;
  /** object id → the file that defines it now */
  readonly owner: Map<string, string>;
  /**
   * object id → its spec (as first read, then its fingerprint) and the generation we gave it (an API server bumps
   * it on spec changes)
   */
  readonly generations: Map<string, { spec: string | object; generation: number }>;
  reloads: number;
}

export const filesSourceMachine = setup({
  types: {
    input: {} as FilesSourceInput,
    context: {} as FilesSourceContext,
    events: {} as FilesSourceMessage,
    emitted: {} as Outgoing,
  },
  guards: {
    watching: ({ context }) => context.watch,
  },
  actions: {
    readAll: enqueueActions(({ enqueue }) => enqueue.emit(effectRequest('read-files', { paths: undefined }))),
    readChanged: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'files.changed') enqueue.emit(effectRequest('read-files', { paths: event.paths }));
    }),
    apply: enqueueActions(({ context, event, enqueue }) => {
      const result = (event as Extract<EffectReply, { type: 'effect.done' }>).result as FilesRead;
      for (const request of applyRead(context, result)) enqueue.emit(request);
    }),
    reportFailure: enqueueActions(({ event, enqueue }) => {
      const failed = event as Extract<EffectReply, { type: 'effect.failed' }>;
      enqueue.emit(
        effectRequest('report-problem', {
          origin: 'files',
          message: `reading manifests failed: ${failed.error}`,
        }),
      );
    }),
    announceSynced: enqueueActions(({ context, enqueue }) => {
      const kindsByActor = new Map<string, string[]>();
      for (const [kind, actor] of Object.entries(context.routes))
        kindsByActor.set(actor, [...(kindsByActor.get(actor) ?? []), kind]);
      for (const [actor, kinds] of kindsByActor)
        enqueue.emit(deliverTo(actor, { type: 'resource.synced', kinds }));
    }),
    startWatching: enqueueActions(({ enqueue }) => enqueue.emit(effectRequest('watch', {}))),
    countReload: assign({ reloads: ({ context }) => context.reloads + 1 }),
  },
}).createMachine({
  id: 'files-source',
  context: ({ input }) => ({
    ...input,
    byFile: new Map(),
    owner: new Map(),
    generations: new Map(),
    reloads: 0,
  }),
  initial: 'listing',
  states: {
    listing: {
      entry: 'readAll',
      on: {
        'effect.done': [
          { guard: 'watching', target: 'watching', actions: ['apply', 'announceSynced', 'startWatching'] },
          { target: 'listed', actions: ['apply', 'announceSynced'] },
        ],
        'effect.failed': { target: 'listed', actions: ['reportFailure', 'announceSynced'] },
      },
    },
    listed: { tags: ['ready'] },
    watching: {
      tags: ['ready'],
      on: {
        'files.changed': { target: 'reloading', actions: 'readChanged' },
        'effect.done': {},
        'effect.failed': { actions: 'reportFailure' },
      },
    },
    reloading: {
      tags: ['ready', 'busy'],
      on: {
        'effect.done': { target: 'watching', actions: ['apply', 'countReload'] },
        'effect.failed': { target: 'watching', actions: 'reportFailure' },
      },
    },
  },
});

function applyRead(context: FilesSourceContext, result: FilesRead) {
  const out: Outgoing[] = [];
  const problem = (origin: string, message: string, unreadable = false) =>
    out.push(effectRequest('report-problem', { origin, message, unreadable }));
  for (const error of result.errors) problem('files', error, true);
  for (const file of result.removed) {
    out.push(...withdraw(context, file, new Set()));
    context.byFile.delete(file);
  }
  for (const manifest of result.files) {
    for (const error of manifest.errors) problem(manifest.file, error, true);
    // A file with unreadable YAML keeps what it defined before: a typo mid-edit must not delete live config.
    if (manifest.errors.length > 0) continue;
    const now = new Map<string, Contribution>();
    for (const { object, origin } of manifest.documents) {
      const actor = typeof object.kind === 'string' ? context.routes[object.kind] : undefined;
      if (actor === undefined) {
        problem(
          origin,
          `${describe(object)}: kind ${String(object.kind)} is not one Switchyard reads; ignored`,
        );
        continue;
      }
      const key = keyOf(object);
      const id = formatResourceKey(key);
      const previousOwner = context.owner.get(id);
      if (now.has(id) || (previousOwner !== undefined && previousOwner !== manifest.file)) {
        problem(origin, `${describe(object)} is defined more than once; this later definition wins`);
      }
      now.set(id, { key, origin });
      context.owner.set(id, manifest.file);
      out.push(
        deliverTo(actor, { type: 'resource.upserted', object: withGeneration(context, id, object), origin }),
      );
    }
    out.push(...withdraw(context, manifest.file, new Set(now.keys())));
    context.byFile.set(manifest.file, now);
  }
  return out;
}

/** Deletes what `file` defined before and defines no more (unless another file defines it now). */
function withdraw(context: FilesSourceContext, file: string, stillDefined: ReadonlySet<string>): Outgoing[] {
  const out: Outgoing[] = [];
  for (const [id, { key }] of context.byFile.get(file) ?? []) {
    if (stillDefined.has(id) || context.owner.get(id) !== file) continue;
    context.owner.delete(id);
    const actor = context.routes[key.kind];
    if (actor !== undefined) out.push(deliverTo(actor, { type: 'resource.deleted', key }));
  }
  return out;
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

function describe(object: RawObject): string {
  const name = String(object.metadata?.name ?? '<no name>');
  const namespace = object.metadata?.namespace;
  return `${String(object.kind ?? '<no kind>')} ${typeof namespace === 'string' ? `${namespace}/` : ''}${name}`;
}
