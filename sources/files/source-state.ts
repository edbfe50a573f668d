// What the files source holds between reads (per file the objects it defines, the owner of each object, the files
// to read again, the read being applied) and what the rest of the plane reads of it: `translate`'s summary, and
// where the definition in force of an object is.
import type { RawObject } from '../../model/resources/resource-events.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { DeliverRequest, EffectRequest } from '../../runtime/outbox.ts';

export interface FilesSourceInput {
  /** Kind → the actor that owns it. */
  readonly routes: Readonly<Record<string, string>>;
  readonly watch: boolean;
  /**
   * Units of work (a document read, an object sent or withdrawn) per step when applying a read: a file of 100,000
   * objects is applied in steps, with the event loop free (probes, watches, xDS) between them. Default 5,000.
   */
  readonly stepBudget?: number;
}

/** What applying a read produces, step by step: messages to the kinds' owners and effect requests. */
export type Item = DeliverRequest | EffectRequest;

export interface Contribution {
  readonly key: ResourceKey;
  readonly origin: string;
}

export interface Definition extends Contribution {
  readonly object: RawObject;
  /** Its CustomResourceDefinition refuses it: recorded as defined by its file, never sent. */
  readonly refused: boolean;
  /** Its CustomResourceDefinition passed it (`ManifestDocument.crdChecked`). */
  readonly crdChecked: boolean;
}

export interface FilesSourceContext extends FilesSourceInput {
  /** file → the objects it defines now */
  readonly byFile: Map<string, Map<string, Contribution>>;
  /** file → why its last read was refused, and how many of its objects are of kinds no actor owns */
  readonly fileNotes: Map<string, { readonly refused?: string; readonly ignored: number }>;
  /** The paths the last listing that failed on any could not list. */
  readonly unlisted: string[];
  /** object id → the file whose definition is in force: the last in path order of those defining it */
  readonly owner: Map<string, string>;
  /** object id → the other files that define it too (only objects defined more than once) */
  readonly alsoDefinedIn: Map<string, Set<string>>;
  /**
   * object id → its spec (as first read, then its fingerprint) and the generation we gave it (an API server bumps
   * it on spec changes)
   */
  readonly generations: Map<string, { spec: string | object; generation: number }>;
  /**
   * Paths to read again: files whose definition of an object takes over from a file that dropped it, and paths the
   * watcher reported while another read was being applied (it reports a change once).
   */
  readonly rereads: string[];
  /** The read being applied, step by step. */
  readonly applying: { steps: Generator<Item[], Item[]> | undefined };
  reloads: number;
}

/** What the source has read, file by file in path order (for `translate`'s summary). */
export interface FilesSummary {
  readonly files: readonly {
    readonly file: string;
    /** The objects it defines, in document order, and whether its definition is the one in force. */
    readonly objects: readonly {
      readonly key: ResourceKey;
      readonly origin: string;
      readonly inForce: boolean;
    }[];
    readonly ignored: number;
    readonly refused?: string;
  }[];
  /** Paths that could not be listed. */
  readonly unlisted: readonly string[];
}

/** Reads the summary out of a files source's context (as the actor system exposes it). */
export function filesSummary(context: unknown): FilesSummary {
  const source = context as FilesSourceContext;
  const names = new Set([...source.byFile.keys(), ...source.fileNotes.keys()]);
  return {
    files: [...names].sort().map((file) => {
      const notes = source.fileNotes.get(file);
      return {
        file,
        objects: [...(source.byFile.get(file) ?? [])].map(([id, { key, origin }]) => ({
          key,
          origin,
          inForce: source.owner.get(id) === file,
        })),
        ignored: notes?.ignored ?? 0,
        ...(notes?.refused === undefined ? {} : { refused: notes.refused }),
      };
    }),
    unlisted: [...source.unlisted],
  };
}

/** Where the definition in force of an object is (`file:line`), from the files source's context. */
export function definedAt(context: unknown, key: ResourceKey): string | undefined {
  const source = context as FilesSourceContext | undefined;
  const id = formatResourceKey(key);
  const file = source?.owner.get(id);
  return file === undefined ? undefined : source?.byFile.get(file)?.get(id)?.origin;
}
