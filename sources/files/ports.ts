// The files source's effects: reading manifests and watching the paths for changes.
import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { ActorRef } from '../../runtime/ActorSystem.ts';
import type { CrdValidator } from './crd-validation/crd-validator.ts';
import { readValidator } from './crd-validation/validate-read.ts';
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
    /** Checks objects against their CustomResourceDefinitions, as the API server would (files mode has none). */
    readonly crds?: CrdValidator;
  } = {},
): FilesPorts {
  const validation = options.crds === undefined ? undefined : readValidator(options.crds);
  const debounceMs = options.debounceMs ?? 50;
  const absoluteRoots = roots.map((root) => resolve(root));
  const known = new Set<string>();
  let stopWatching: (() => void) | undefined;
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const read = async (paths: readonly string[] | undefined): Promise<FilesRead> => {
    const listing =
      paths === undefined ? await findManifestFiles(absoluteRoots) : await changedManifests(paths);
    const removed: string[] = [];
    if (paths === undefined) {
      for (const file of known) if (!listing.files.includes(file)) removed.push(file);
    } else {
      // A changed path that is a directory (moved away, say) stands for every file read under it.
      const under = (file: string) => paths.some((path) => file === path || file.startsWith(`${path}${sep}`));
      for (const file of known) if (under(file) && !listing.files.includes(file)) removed.push(file);
    }
    for (const file of removed) known.delete(file);
    for (const file of listing.files) known.add(file);
    const parsed = await readAll(listing.files);
    const files = validation === undefined ? parsed : await validation.validate(parsed, removed);
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
      stopWatching ??= watchTree(absoluteRoots, (path) => {
        pending.add(path);
        if (timer === undefined) timer = setTimeout(flush, debounceMs);
      });
    },
    close: () => {
      stopWatching?.();
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/**
 * Watches every directory under the roots with a watcher of its own, and a file root through its directory (for
 * its name only); calls `changed` with each path that changes. Node's recursive watcher on Linux follows files by
 * inode: a file replaced by rename (`sed -i`, an editor's safe write) is reported once, then never again; a
 * directory's own watcher names every entry that changes in it. Hidden entries are skipped as the listing skips
 * them, except a hidden directory (or link to one) that changes: a Kubernetes volume swaps `..data`, which the
 * visible files link through, so the directory holding it is reported. Returns what stops every watcher.
 */
function watchTree(roots: readonly string[], changed: (path: string) => void): () => void {
  /** directory → its watcher and, for a file root's directory, the names watched in it (none: every entry). */
  const watched = new Map<string, { watcher: FSWatcher; only?: Set<string> }>();
  const isDirectory = (path: string) => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  };
  const unwatch = (dir: string) => {
    for (const [path, { watcher }] of watched) {
      if (path !== dir && !path.startsWith(`${dir}${sep}`)) continue;
      watcher.close();
      watched.delete(path);
    }
  };
  const onEntry = (dir: string, name: string, only: Set<string> | undefined) => {
    const path = join(dir, name);
    if (only !== undefined) {
      if (only.has(name)) changed(path);
      return;
    }
    if (name.startsWith('.')) {
      if (isDirectory(path)) changed(dir);
      return;
    }
    changed(path);
    if (isDirectory(path)) watchDirectory(path);
    else unwatch(path); // a directory that went (or a file now where one was)
  };
  const watchDirectory = (dir: string, only?: string) => {
    const entry = watched.get(dir);
    if (entry !== undefined) {
      if (only === undefined) entry.only = undefined;
      else entry.only?.add(only);
      return;
    }
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        const current = watched.get(dir);
        if (current?.watcher !== watcher) return;
        if (name === null) changed(dir);
        else onEntry(dir, name.toString(), current.only);
      });
    } catch {
      return; // gone already: its parent reports it
    }
    watcher.on('error', () => {
      if (watched.get(dir)?.watcher === watcher) unwatch(dir);
    });
    watched.set(dir, { watcher, ...(only === undefined ? {} : { only: new Set([only]) }) });
    if (only !== undefined) return;
    let entries: string[] = [];
    try {
      entries = readdirSync(dir).filter((name) => !name.startsWith('.'));
    } catch {
      // Unreadable: what is in it cannot be watched either.
    }
    for (const name of entries) if (isDirectory(join(dir, name))) watchDirectory(join(dir, name));
  };
  for (const root of roots) {
    if (isDirectory(root)) watchDirectory(root);
    else watchDirectory(dirname(root), basename(root));
  }
  return () => {
    for (const { watcher } of watched.values()) watcher.close();
    watched.clear();
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
