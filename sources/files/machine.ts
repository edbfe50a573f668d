// The files source (standalone mode): lists every manifest under the given paths, sends each object to the
// controller of its kind, tells them when the initial listing is complete, then (optionally) watches the files:
// a changed file is re-read, and objects that disappeared from it are deleted.
//
// An object defined in more than one file has one owner, whatever the order files were read or changed in: the
// last file in path order, as `kubectl apply -f <dir>` (which applies files in that order) would leave it. The
// other files' definitions are remembered by file only; when the owner stops defining the object, the next file
// in line is read again and its definition takes over.
import { assign, enqueueActions, setup } from 'xstate';
import {
  CLUSTER_SCOPED_KINDS,
  GROUP_OF_KIND,
  isKindName,
  type KindName,
} from '../../model/resources/kinds.ts';
import type { RawObject } from '../../model/resources/resource-events.ts';
import {
  formatResourceKey,
  keyOf,
  type ResourceKey,
  resourceKey,
} from '../../model/resources/resource-key.ts';
import { batch, deliverTo, type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import { refusalText } from '../refusal-text.ts';
import type { ManifestFile } from './manifests.ts';
import type { FilesSourceMessage } from './messages.ts';
import { claim, groupUpserts, lastInPathOrder, takeOver } from './ownership.ts';
import type { Contribution, Definition, FilesSourceContext, FilesSourceInput, Item } from './source-state.ts';

/** What the `read-files` port returns. */
export interface FilesRead {
  readonly files: readonly ManifestFile[];
  /** Files that were read before and are gone now. */
  readonly removed: readonly string[];
  /** Paths that could not be listed. */
  readonly errors: readonly string[];
}

/** What a problem is about, for summaries (`translate`) and for clearing it when its file changes. */
/** `policy`: what is wrong with a policy as written that no status can carry (a selector that selects nothing). */
export type ProblemCategory = 'unreadable' | 'ignored' | 'duplicate' | 'rejected' | 'policy';

/** What the `report-problem` port receives. */
export interface SourceProblem {
  readonly origin: string;
  readonly message: string;
  /** The input itself could not be read (missing path, broken YAML), as opposed to a problem with an object. */
  readonly unreadable?: boolean;
  readonly category?: ProblemCategory;
  /** The files it concerns: reading one of them again (or its removal) makes it out of date. */
  readonly files?: readonly string[];
  /** How many objects it stands for (objects of an ignored kind are reported once per file and kind). */
  readonly count?: number;
  /** The object the problem concerns, when it is about one: the inspector shows the problem on it. */
  readonly object?: ProblemObject;
}

export interface ProblemObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

const DEFAULT_STEP_BUDGET = 5_000;

const isReadDone = (event: FilesSourceMessage) =>
  event.type === 'effect.done' && event.effect === 'read-files';

export const filesSourceMachine = setup({
  types: {
    input: {} as FilesSourceInput,
    context: {} as FilesSourceContext,
    events: {} as FilesSourceMessage,
    emitted: {} as Outgoing,
  },
  guards: {
    readDone: ({ event }) => isReadDone(event),
    nextStep: ({ event }) => event.type === 'effect.done' && event.effect === 'next-step',
    failed: ({ event }) => event.type === 'effect.failed' && event.effect !== 'report-problem',
    applied: ({ context }) => context.applying.steps === undefined,
    watching: ({ context }) => context.watch,
    rereadsDue: ({ context }) => context.rereads.length > 0,
  },
  actions: {
    readAll: enqueueActions(({ enqueue }) => enqueue.emit(effectRequest('read-files', { paths: undefined }))),
    readChanged: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'files.changed') enqueue.emit(effectRequest('read-files', { paths: event.paths }));
    }),
    queueChanged: ({ context, event }) => {
      if (event.type !== 'files.changed') return;
      for (const path of event.paths) if (!context.rereads.includes(path)) context.rereads.push(path);
    },
    readAgain: enqueueActions(({ context, enqueue }) => {
      const paths = context.rereads.splice(0).sort();
      enqueue.emit(effectRequest('read-files', { paths }));
    }),
    beginApplying: ({ context, event }) => {
      const result = (event as Extract<EffectReply, { type: 'effect.done' }>).result as FilesRead;
      context.applying.steps = applyRead(context, result, context.stepBudget ?? DEFAULT_STEP_BUDGET);
    },
    /** One step of the read being applied; another follows once the loop has run (the `next-step` port). */
    applyStep: enqueueActions(({ context, enqueue }) => applyStep(context, enqueue.emit, false)),
    /**
     * A step of the initial listing: each owner gets what the step sends it as one `resources.upserted`. Only here:
     * nothing else about those objects was sent before, so no single message coalesced ahead of a batch can
     * overtake it in the owner's inbox.
     */
    applyListingStep: enqueueActions(({ context, enqueue }) => applyStep(context, enqueue.emit, true)),
    reportFailure: enqueueActions(({ event, enqueue }) => {
      const failed = event as Extract<EffectReply, { type: 'effect.failed' }>;
      enqueue.emit(
        effectRequest('report-problem', {
          origin: 'files',
          message: `${failed.effect === 'read-files' ? 'reading manifests' : failed.effect} failed: ${failed.error}`,
          unreadable: true,
          category: 'unreadable',
        } satisfies SourceProblem),
      );
    }),
    announceSynced: enqueueActions(({ context, enqueue }) => {
      const kindsByActor = new Map<string, string[]>();
      for (const [kind, actor] of Object.entries(context.routes)) {
        const kinds = kindsByActor.get(actor);
        if (kinds === undefined) kindsByActor.set(actor, [kind]);
        else kinds.push(kind);
      }
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
    fileNotes: new Map(),
    unlisted: [],
    owner: new Map(),
    alsoDefinedIn: new Map(),
    generations: new Map(),
    rereads: [],
    applying: { steps: undefined },
    reloads: 0,
  }),
  initial: 'listing',
  states: {
    listing: {
      entry: 'readAll',
      on: {
        'effect.done': { guard: 'readDone', target: 'syncing', actions: 'beginApplying' },
        'effect.failed': { guard: 'failed', target: 'synced', actions: 'reportFailure' },
      },
    },
    /** The first listing is applied; controllers hear that their kinds are synced only after its last step. */
    syncing: {
      entry: 'applyListingStep',
      on: { 'effect.done': { guard: 'nextStep', target: 'syncing', reenter: true } },
      always: { guard: 'applied', target: 'synced' },
    },
    synced: {
      entry: 'announceSynced',
      always: [{ guard: 'watching', target: 'applied', actions: 'startWatching' }, { target: 'listed' }],
    },
    listed: { tags: ['ready'] },
    watching: {
      tags: ['ready'],
      on: {
        'files.changed': { target: 'reloading', actions: 'readChanged' },
        'effect.failed': { guard: 'failed', actions: 'reportFailure' },
      },
    },
    reloading: {
      tags: ['ready', 'busy'],
      on: {
        'files.changed': { actions: 'queueChanged' },
        'effect.done': { guard: 'readDone', target: 'changing', actions: ['beginApplying', 'countReload'] },
        'effect.failed': { guard: 'failed', target: 'applied', actions: 'reportFailure' },
      },
    },
    changing: {
      tags: ['ready', 'busy'],
      entry: 'applyStep',
      on: {
        'files.changed': { actions: 'queueChanged' },
        'effect.done': { guard: 'nextStep', target: 'changing', reenter: true },
      },
      always: { guard: 'applied', target: 'applied' },
    },
    /** A read was applied; files whose definitions take over, and paths changed meanwhile, are read next. */
    applied: {
      tags: ['ready', 'busy'],
      always: [{ guard: 'rereadsDue', target: 'reloading', actions: 'readAgain' }, { target: 'watching' }],
    },
  },
});

function applyStep(context: FilesSourceContext, emit: (outgoing: Outgoing) => void, grouped: boolean): void {
  const steps = context.applying.steps;
  if (steps === undefined) return;
  const { value, done } = steps.next();
  emit(batch(grouped ? groupUpserts(value) : value));
  if (done) context.applying.steps = undefined;
  else emit(effectRequest('next-step', {}));
}

/**
 * Applies a read in steps: each yields what it sends (at most about `budget` units of work), the last returns the
 * rest. Between steps the state is consistent except for objects not yet sent.
 */
function* applyRead(
  context: FilesSourceContext,
  result: FilesRead,
  budget: number,
): Generator<Item[], Item[]> {
  let out: Item[] = [];
  let work = 0;
  /** Counts one unit of work; true when a step is full (the caller then yields `take()`). */
  const full = () => ++work >= budget;
  const take = () => {
    const step = out;
    out = [];
    work = 0;
    return step;
  };
  const problem = (problem: SourceProblem) => out.push(effectRequest('report-problem', problem));
  /** Objects whose owning file no longer defines them, settled once the whole read is applied. */
  const orphans = new Map<string, ResourceKey>();
  /** Objects whose set of defining files may have changed. */
  const touched = new Set<string>();
  const release = (id: string, file: string, key: ResourceKey) => {
    touched.add(id);
    if (context.owner.get(id) === file) {
      orphans.set(id, key);
      return;
    }
    const others = context.alsoDefinedIn.get(id);
    others?.delete(file);
    if (others?.size === 0) context.alsoDefinedIn.delete(id);
  };

  if (result.errors.length > 0) context.unlisted.length = 0;
  for (const error of result.errors) {
    context.unlisted.push(error);
    problem({ origin: 'files', message: error, unreadable: true, category: 'unreadable' });
  }
  for (const file of result.removed) {
    context.fileNotes.delete(file);
    for (const [id, { key }] of context.byFile.get(file) ?? []) {
      release(id, file, key);
      if (full()) yield take();
    }
    context.byFile.delete(file);
  }
  for (const manifest of result.files) {
    const file = manifest.file;
    if (manifest.errors.length > 0) {
      // A file that cannot be read keeps what it defined before: a typo mid-edit must not delete live config.
      for (const error of manifest.errors) {
        const line = error.startsWith(file) ? /^:(\d+): /.exec(error.slice(file.length))?.[1] : undefined;
        problem({
          origin: line === undefined ? file : `${file}:${line}`,
          message: error,
          unreadable: true,
          category: 'unreadable',
          files: [file],
        });
      }
      context.fileNotes.set(file, {
        refused: manifest.errors[0],
        ignored: context.fileNotes.get(file)?.ignored ?? 0,
      });
      continue;
    }
    const now = new Map<string, Definition>();
    /** kind ('' for none) → the objects of it that were ignored */
    const ignored = new Map<string, { count: number; origin: string; first: ResourceKey }>();
    for (const { object, origin, invalid, crdChecked } of manifest.documents) {
      const kind = typeof object.kind === 'string' ? object.kind : '';
      if (!Object.hasOwn(context.routes, kind)) {
        const seen = ignored.get(kind);
        if (seen === undefined) ignored.set(kind, { count: 1, origin, first: keyOf(object) });
        else seen.count++;
        continue;
      }
      defaultNamespace(object, kind);
      const key = identityOf(object, kind);
      const id = formatResourceKey(key);
      const earlier = now.get(id);
      if (earlier !== undefined) {
        problem({
          origin,
          message: `${describe(key)} is also defined at ${earlier.origin}; this later definition is used`,
          category: 'duplicate',
          files: [file],
          ...problemObject(key),
        });
      }
      if (invalid !== undefined) {
        // Refused as the API server refuses an apply: what was in force before (if anything) stays in force.
        problem({
          origin,
          message: `rejected: ${describe(key)}: ${refusalText(invalid)}`,
          category: 'rejected',
          files: [file],
          ...problemObject(key),
        });
      }
      now.set(id, { key, object, origin, refused: invalid !== undefined, crdChecked: crdChecked === true });
      if (full()) yield take();
    }
    let ignoredCount = 0;
    for (const { count } of ignored.values()) ignoredCount += count;
    if (ignoredCount > 0) context.fileNotes.set(file, { ignored: ignoredCount });
    else context.fileNotes.delete(file);
    for (const [kind, { count, origin, first }] of ignored) {
      const what = kind === '' ? 'an object without a kind' : `kind ${kind} is not one Switchyard reads`;
      problem({
        origin,
        message: `${describe(first)}${count > 1 ? ` and ${count - 1} more of its kind` : ''}: ${what}; ignored`,
        category: 'ignored',
        files: [file],
        count,
        // One object: shown on it; several stand for their file.
        ...(count === 1 ? problemObject(first) : {}),
      });
    }
    const contributions = new Map<string, Contribution>();
    for (const [id, { key }] of context.byFile.get(file) ?? []) {
      if (now.has(id)) continue;
      release(id, file, key);
      if (full()) yield take();
    }
    // What the file defines is recorded before its objects are sent, so a step boundary cannot lose any.
    for (const [id, definition] of now)
      contributions.set(id, { key: definition.key, origin: definition.origin });
    context.byFile.set(file, contributions);
    for (const [id, definition] of now) {
      if (definition.refused) continue;
      touched.add(id);
      claim(context, id, file, definition, orphans, out);
      if (full()) yield take();
    }
  }

  for (const [id, key] of orphans) {
    const others = context.alsoDefinedIn.get(id);
    const next = others === undefined ? undefined : lastInPathOrder(others);
    if (next === undefined) {
      context.owner.delete(id);
      context.generations.delete(id);
      out.push(deliverTo(context.routes[key.kind] as string, { type: 'resource.deleted', key }));
      if (full()) yield take();
      continue;
    }
    // The next file in line takes over; its definition is sent once that file has been read again.
    takeOver(context, id, next);
  }

  for (const id of touched) {
    const others = context.alsoDefinedIn.get(id);
    const owner = context.owner.get(id);
    if (others === undefined || owner === undefined) continue;
    const definition = context.byFile.get(owner)?.get(id);
    const files = [...others, owner].sort();
    problem({
      origin: definition?.origin ?? owner,
      message: `${definition === undefined ? id : describe(definition.key)} is defined in ${files.join(', ')}; the one in ${owner} is used (the last file in path order wins, as with kubectl apply -f <dir>)`,
      category: 'duplicate',
      files,
      ...(definition === undefined ? {} : problemObject(definition.key)),
    });
  }
  return take();
}

/**
 * The object's identity as the shared state has it: kind, namespace and name, with the group of the kind. Its
 * apiVersion may be missing or wrong (its owner then refuses it); keyed by what it says, such a definition would be
 * another object here while it stands for the same one in the store, and withdrawing it (the file fixed) would
 * delete the object its fixed definition had just stored.
 */
function identityOf(object: RawObject, kind: string): ResourceKey {
  const key = keyOf(object);
  return isKindName(kind) ? resourceKey(GROUP_OF_KIND[kind], kind, key.namespace, key.name) : key;
}

/** A namespaced object without a namespace is in `default`, as `kubectl apply` puts it. */
function defaultNamespace(object: RawObject, kind: string): void {
  const metadata = object.metadata as Record<string, unknown> | null | undefined;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return;
  if (CLUSTER_SCOPED_KINDS.has(kind as KindName)) return;
  if (metadata.namespace === undefined || metadata.namespace === null || metadata.namespace === '')
    metadata.namespace = 'default';
}

function problemObject(key: ResourceKey): { object?: ProblemObject } {
  if (key.kind === '' || key.name === '') return {};
  const namespace = key.namespace === undefined ? {} : { namespace: key.namespace };
  return { object: { kind: key.kind, ...namespace, name: key.name } };
}

function describe(key: ResourceKey): string {
  const name = key.name === '' ? '<no name>' : key.name;
  return `${key.kind === '' ? '<no kind>' : key.kind} ${key.namespace === undefined ? '' : `${key.namespace}/`}${name}`;
}
