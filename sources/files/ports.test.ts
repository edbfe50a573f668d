// The files source's watcher on a real directory, saved to the way editors and tools save: in place, or by writing
// a temporary file and renaming it over the old one (`sed -i`, vim's writebackup, IDEs' "safe write"), again and again.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActorRef } from '../../runtime/ActorSystem.ts';
import type { FilesChanged } from './messages.ts';
import { type FilesPorts, filesPorts } from './ports.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Ports watching `roots`; `next(path)` resolves with the first batch of changed paths that names `path`. */
function watching(roots: string[]) {
  const batches: string[][] = [];
  let waiter: { path: string; resolve: (paths: string[]) => void } | undefined;
  const source = {
    name: 'files',
    send: async (message: { paths: readonly string[] }) => {
      batches.push([...message.paths]);
      if (waiter !== undefined && message.paths.includes(waiter.path)) {
        waiter.resolve([...message.paths]);
        waiter = undefined;
      }
    },
    trySend: () => true,
  } as unknown as ActorRef<FilesChanged>;
  const ports: FilesPorts = filesPorts(roots, () => source, { debounceMs: 20 });
  ports.watch();
  cleanups.push(() => ports.close());
  return {
    ports,
    batches,
    /** The next batch naming `path`, once `act` has run. */
    next: (path: string, act: () => void) =>
      new Promise<string[]>((resolve) => {
        waiter = { path, resolve };
        act();
      }),
  };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-files-watch-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Saves as `sed -i` does: a new file beside it, renamed over it. */
function saveByRename(file: string, text: string, temp: string): void {
  writeFileSync(temp, text);
  renameSync(temp, file);
}

describe('files source watcher', () => {
  it('reports every save of a file replaced by rename, not only the first', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'a: 0\n');
    const watcher = watching([dir]);
    for (let save = 1; save <= 4; save++) {
      const paths = await watcher.next(file, () =>
        saveByRename(file, `a: ${save}\n`, join(dir, `sed${save}`)),
      );
      expect(paths).toContain(file);
    }
    // In place too, after the renames.
    expect(await watcher.next(file, () => writeFileSync(file, 'a: 5\n'))).toContain(file);
  });

  it('follows directories created after it started, and files renamed into them', async () => {
    const dir = tempDir();
    const watcher = watching([dir]);
    const sub = join(dir, 'team', 'routes');
    await watcher.next(join(dir, 'team'), () => mkdirSync(sub, { recursive: true }));
    const route = join(sub, 'route.yaml');
    // The new directory's watcher may start after the file is written: then the directory itself was reported
    // (above), and a reader lists it. Either way, the next saves are reported by name.
    writeFileSync(route, 'a: 0\n');
    for (let save = 1; save <= 3; save++) {
      expect(
        await watcher.next(route, () =>
          saveByRename(route, `a: ${save}\n`, join(sub, `.route.yaml.swp${save}`)),
        ),
      ).toContain(route);
    }
  });

  it('watches a file given as a root through its directory: renames over it are reported, its neighbours are not', async () => {
    const dir = tempDir();
    const file = join(dir, 'only.yaml');
    writeFileSync(file, 'a: 0\n');
    const watcher = watching([file]);
    writeFileSync(join(dir, 'other.yaml'), 'b: 0\n');
    for (let save = 1; save <= 3; save++) {
      expect(
        await watcher.next(file, () => saveByRename(file, `a: ${save}\n`, join(dir, `tmp${save}`))),
      ).toEqual([file]);
    }
    expect(watcher.batches.flat()).not.toContain(join(dir, 'other.yaml'));
  });

  it('reports the directory of a Kubernetes volume whose ..data link is swapped to new contents', async () => {
    const dir = tempDir();
    // As the kubelet lays out a ConfigMap: files link through ..data to a timestamped directory.
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'gateway.yaml'), 'a: 1\n');
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'gateway.yaml'), join(dir, 'gateway.yaml'));
    const watcher = watching([dir]);
    const paths = await watcher.next(dir, () => {
      mkdirSync(join(dir, '..v2'));
      writeFileSync(join(dir, '..v2', 'gateway.yaml'), 'a: 2\n');
      symlinkSync('..v2', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    });
    expect(paths).toContain(dir);
  });

  it('reads a directory moved away as the removal of every file read under it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'team'));
    writeFileSync(join(dir, 'team', 'a.yaml'), 'kind: A\n');
    writeFileSync(join(dir, 'team', 'b.yaml'), 'kind: B\n');
    writeFileSync(join(dir, 'c.yaml'), 'kind: C\n');
    const elsewhere = tempDir();
    const watcher = watching([dir]);
    expect((await watcher.ports['read-files']({ paths: undefined })).files).toHaveLength(3);
    const paths = await watcher.next(join(dir, 'team'), () =>
      renameSync(join(dir, 'team'), join(elsewhere, 'team')),
    );
    const read = await watcher.ports['read-files']({ paths });
    expect(read.removed).toEqual([join(dir, 'team', 'a.yaml'), join(dir, 'team', 'b.yaml')]);
  });
});
