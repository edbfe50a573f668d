// Marks the documents of a files read that the API server would refuse, before the files source applies them. It
// runs in the `read-files` port, so a recorded read carries its verdicts and a replay needs no CRDs.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RawObject } from '../../../model/resources/resource-events.ts';
import type { ManifestDocument, ManifestFile } from '../manifests.ts';
import type { CrdValidator } from './crd-validator.ts';

/** Documents checked between two yields to the event loop (a rule set costs ~0.1 ms per ordinary route). */
const DOCUMENTS_PER_TURN = 500;

export interface ReadValidator {
  /** The files with each refused document's problems set; files that were removed are forgotten. */
  validate(files: readonly ManifestFile[], removed: readonly string[]): Promise<ManifestFile[]>;
}

/**
 * `validator` checks each object as a create, or, for kinds with rules that compare with the object before
 * (`oldSelf`, e.g. an immutable GatewayClass `controllerName`), as an update of the last definition that passed
 * from the same file: a file edit is an update, as `kubectl apply` of it would be.
 */
export function readValidator(validator: CrdValidator): ReadValidator {
  /** object id → the last definition that passed, and its file (kinds with transition rules only) */
  const previous = new Map<string, { readonly file: string; readonly object: RawObject }>();
  return {
    async validate(files, removed) {
      for (const file of removed) forgetFile(previous, file);
      let checked = 0;
      const result: ManifestFile[] = [];
      for (const file of files) {
        // A file that cannot be read keeps what it defined (the files source keeps it in force too).
        if (file.errors.length > 0) {
          result.push(file);
          continue;
        }
        const defined = new Set<string>();
        const documents: ManifestDocument[] = [];
        for (const document of file.documents) {
          if (++checked % DOCUMENTS_PER_TURN === 0) await yieldToEventLoop();
          const object = document.object;
          const id = validator.comparesWithPrevious(object) ? identity(object) : undefined;
          const before = id === undefined ? undefined : previous.get(id);
          const invalid = validator.validate(object, before?.file === file.file ? before.object : undefined);
          if (id !== undefined) {
            defined.add(id);
            if (invalid.length === 0) previous.set(id, { file: file.file, object });
          }
          if (invalid.length > 0) documents.push({ ...document, invalid });
          else documents.push(validator.covers(object) ? { ...document, crdChecked: true } : document);
        }
        // Objects the file no longer defines are deleted: defining one again creates it anew.
        for (const [id, entry] of previous)
          if (entry.file === file.file && !defined.has(id)) previous.delete(id);
        result.push({ ...file, documents });
      }
      return result;
    },
  };
}

function forgetFile(previous: Map<string, { readonly file: string }>, file: string): void {
  for (const [id, entry] of previous) if (entry.file === file) previous.delete(id);
}

function identity(object: RawObject): string {
  const metadata = object.metadata as { namespace?: unknown; name?: unknown } | undefined;
  const apiVersion = String(object.apiVersion);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  return `${group}/${String(object.kind)}/${String(metadata?.namespace ?? '')}/${String(metadata?.name ?? '')}`;
}
