// The manifests of the seed documents the project was made from (../shared/seeds/*.md beside the clone, as CI
// lays it out; SWITCHYARD_SEEDS_DIR elsewhere): every YAML block, split into objects, read at test time so that
// no seed text is copied into the repository.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export function seedsDir(): string {
  // Beside the clone (CI), or beside the folder of worktrees.
  const candidates =
    process.env.SWITCHYARD_SEEDS_DIR === undefined
      ? [join(REPO, '..', 'shared', 'seeds'), join(REPO, '..', '..', 'shared', 'seeds')]
      : [process.env.SWITCHYARD_SEEDS_DIR];
  const dir = candidates.find((candidate) => existsSync(candidate));
  if (dir === undefined)
    throw new Error(
      `the seed documents are not at ${candidates.join(' or ')}: set SWITCHYARD_SEEDS_DIR to the folder holding them`,
    );
  return dir;
}

export interface SeedObject {
  readonly file: string;
  readonly object: Record<string, unknown>;
}

/** Every object of every ```yaml block of a seed document (blocks that do not parse are left out). */
export function seedObjects(file: string): SeedObject[] {
  const text = readFileSync(join(seedsDir(), file), 'utf8');
  const out: SeedObject[] = [];
  for (const match of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
    for (const document of parseAllDocuments(match[1]!)) {
      if (document.errors.length > 0) continue;
      const object = document.toJS() as Record<string, unknown> | null;
      if (object !== null && typeof object === 'object' && typeof object.kind === 'string')
        out.push({ file, object });
    }
  }
  return out;
}
