// The files source's effects: reading manifests and watching the paths for changes.
import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ActorRef } from '../../runtime/ActorSystem.ts';
import type { FilesRead } from './machine.ts';
import { findManifestFiles, type ManifestFile, readManifestFile } from './manifests.ts';
import type { FilesChanged } from './messages.ts';

export interface FilesPorts {
  readonly 'read-files': (request: { paths: readonly string[] | undefined }) => Promise<FilesRead>;
  /** Resolves once the event loop has run: the source applies a large read in steps with this between them. */
  readonly 'next-step': () => Promise<void>;
  readonly watch: () => void;
  /** Stops the watchers. */
  close(): void;
}

/**
 * Ports for the given roots. `read-files` with no paths lists everything (and notices files that vanished);
 * with paths, re-reads those. The watcher debounces bursts of file events into one `files.changed`.
 */
export function filesPorts(
  roots: readonly string[],
  source: () => ActorRef<FilesChanged>,
  options: {
    readonly debounceMs?: number;
    /**
     * Told which files are about to be applied again or were removed (with each read, before its result): what was
     * reported about them is out of date.
     */
    readonly reread?: (files: readonly string[]) => void;
  } = {},
): FilesPorts {
  const debounceMs = options.debounceMs ?? 50;
  const absoluteRoots = roots.map((root) => resolve(root));
  const known = new Set<string>();
  const watchers: FSWatcher[] = [];
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const read = async (paths: readonly string[] | undefined): Promise<FilesRead> => {
    const listing =
      paths === undefined ? await findManifestFiles(absoluteRoots) : await changedManifests(paths);
    const removed: string[] = [];
    if (paths === undefined) {
      for (const file of known) if (!listing.files.includes(file)) removed.push(file);
    } else {
      for (const path of paths) if (known.has(path) && !listing.files.includes(path)) removed.push(path);
    }
    for (const file of removed) known.delete(file);
    for (const file of listing.files) known.add(file);
    const files = await readAll(listing.files);
    options.reread?.([...removed, ...listing.files]);
    return { files, removed, errors: paths === undefined ? listing.errors : [] };
  };

  const flush = () => {
    timer = undefined;
    const paths = [...pending].sort();
    pending = new Set();
    if (paths.length > 0) void source().send({ type: 'files.changed', paths });
  };

  return {
    'read-files': (request) => read(request.paths),
    'next-step': () => new Promise((resolve) => setImmediate(resolve)),
    watch: () => {
      for (const root of absoluteRoots) {
        const watcher = watch(root, { recursive: true }, (_event, name) => {
          pending.add(name === null ? root : join(root, name.toString()));
          if (timer === undefined) timer = setTimeout(flush, debounceMs);
        });
        watcher.on('error', () => {});
        watchers.push(watcher);
      }
    },
    close: () => {
      for (const watcher of watchers.splice(0)) watcher.close();
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** Reads files a few at a time (thousands at once would run out of file descriptors), in the given order. */
async function readAll(paths: readonly string[]): Promise<ManifestFile[]> {
  const files: ManifestFile[] = new Array(paths.length);
  let next = 0;
  const reader = async () => {
    for (let index = next++; index < paths.length; index = next++) {
      files[index] = await readManifestFile(paths[index] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, paths.length) }, reader));
  return files;
}

const READ_CONCURRENCY = 16;

/** The manifest files among changed paths (a changed directory means everything under it). */
async function changedManifests(paths: readonly string[]): Promise<{ files: string[]; errors: string[] }> {
  const existing: string[] = [];
  for (const path of paths) {
    try {
      await stat(path);
      existing.push(path);
    } catch {
      // Gone: the caller reports it as removed.
    }
  }
  // Only manifest files count here: an editor's swap file changing must not be read as YAML.
  return findManifestFiles(existing, false);
}
