// What the CRD checks said about each object, kept in the user's cache between runs (bench/translate.startup): a
// second `translate` of the same manifests then neither compiles a CRD's schema nor loads the CEL library. A verdict
// is a function of the object and of its CRD version as written, and of the code that checks it, so it is kept under
// a hash of all three: the object's JSON, the CRD version's JSON (crd-validator.ts) and the source of every file the
// checks can load, with the versions of every package they load (checker-modules.ts). A verdict found under that key is the one a check would
// give; anything else (no file, an unreadable or read-only cache, a damaged file) is a miss and the object is checked.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkerModules, checkerRoots } from './checker-modules.ts';

/** Verdicts older runs kept beyond this run's own are dropped past this many (the file stays a few MB at most). */
const KEPT_VERDICTS = 50_000;

export interface VerdictCache {
  /** The key of a CRD version: its JSON under the checking code's own key. */
  versionKey(crdVersion: string): string;
  /** Whether the version has rules comparing with the object before (`oldSelf`), as a check found; or unknown. */
  transitionRules(versionKey: string): boolean | undefined;
  /** The problems kept for `object` under the CRD version's key; undefined when none were kept. */
  get(versionKey: string, object: unknown): readonly string[] | undefined;
  set(versionKey: string, object: unknown, problems: readonly string[], transitionRules: boolean): void;
  /** Writes what this run found out, with what earlier runs kept; a cache that cannot be written is left as it is. */
  save(): void;
}

/** Verdicts kept in `dir` (the user's cache: `crdCacheDir`'s sibling), read on the first look-up. */
export function verdictCache(dir: string): VerdictCache {
  const code = checkerKey();
  const file = join(dir, `${code.slice(0, 32)}.json`);
  let kept: Kept | undefined;
  /** Verdicts this run used or found: written first, so a run's own are never the ones dropped. */
  const used = new Map<string, readonly string[]>();
  const versions = new Map<string, boolean>();
  let added = false;
  const keptVerdicts = () => {
    kept ??= readKept(file);
    return kept;
  };
  const objectKey = (versionKey: string, object: unknown): string | undefined => {
    const json = exactJson(object);
    return json === undefined
      ? undefined
      : createHash('sha256').update(versionKey).update('\0').update(json).digest('base64url');
  };
  return {
    versionKey: (crdVersion) =>
      createHash('sha256').update(code).update('\0').update(crdVersion).digest('base64url'),
    transitionRules: (versionKey) => versions.get(versionKey) ?? keptVerdicts().versions.get(versionKey),
    get(versionKey, object) {
      const key = objectKey(versionKey, object);
      if (key === undefined) return undefined;
      const problems = keptVerdicts().verdicts.get(key);
      if (problems !== undefined) used.set(key, problems);
      return problems;
    },
    set(versionKey, object, problems, transitionRules) {
      versions.set(versionKey, transitionRules);
      added = true;
      const key = objectKey(versionKey, object);
      if (key !== undefined) used.set(key, [...problems]);
    },
    save() {
      if (!added) return;
      const verdicts: Record<string, readonly string[]> = Object.fromEntries(used);
      let count = used.size;
      for (const [key, problems] of keptVerdicts().verdicts) {
        if (count >= KEPT_VERDICTS) break;
        if (used.has(key)) continue;
        verdicts[key] = problems;
        count++;
      }
      try {
        mkdirSync(dir, { recursive: true });
        // Written aside and renamed: a concurrent run reads the whole file or none.
        const partial = `${file}.${process.pid}.partial`;
        const transition = {
          ...Object.fromEntries(keptVerdicts().versions),
          ...Object.fromEntries(versions),
        };
        writeFileSync(partial, JSON.stringify({ versions: transition, verdicts }));
        renameSync(partial, file);
      } catch {
        // A cache that cannot be written only costs the next run the checks.
      }
    },
  };
}

/**
 * The object's JSON when it says all the object holds; undefined for a number JSON cannot write (YAML's `.nan`,
 * `.inf`: JSON writes them as `null`, which a check reads otherwise), so such an object is always checked.
 */
function exactJson(object: unknown): string | undefined {
  let exact = true;
  const json = JSON.stringify(object, (_name, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) exact = false;
    return value;
  });
  return exact ? json : undefined;
}

interface Kept {
  readonly versions: Map<string, boolean>;
  readonly verdicts: Map<string, readonly string[]>;
}

/** What the file keeps; entries not of the expected shape are left out (a damaged file is an empty one). */
function readKept(file: string): Kept {
  const kept: Kept = { versions: new Map(), verdicts: new Map() };
  let parsed: { versions?: unknown; verdicts?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch {
    return kept;
  }
  if (parsed === null || typeof parsed !== 'object') return kept;
  for (const [key, value] of entries(parsed.versions))
    if (typeof value === 'boolean') kept.versions.set(key, value);
  for (const [key, problems] of entries(parsed.verdicts))
    if (Array.isArray(problems) && problems.every((problem) => typeof problem === 'string'))
      kept.verdicts.set(key, problems as string[]);
  return kept;
}

function entries(value: unknown): [string, unknown][] {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
}

let checker: string | undefined;

/**
 * The checking code's key: the source of every file the checks can load — this folder's, and whatever they import
 * wherever it is (checker-modules.ts follows the imports) — the name and version of every package they load,
 * dependencies of dependencies included (@bufbuild/cel's protobuf runtime is a peer, not pinned by cel's version),
 * and Node's version. A change to any of them is a new key, so verdicts of other code are never read.
 */
export function checkerKey(
  folder = dirname(fileURLToPath(import.meta.url)),
  names: readonly string[] = readdirSync(folder),
): string {
  const own = folder === dirname(fileURLToPath(import.meta.url));
  if (own && checker !== undefined) return checker;
  const modules = checkerModules(checkerRoots(folder, names));
  const hash = createHash('sha256');
  for (const file of modules.files)
    hash
      .update(`${relative(folder, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  for (const id of modules.packages) hash.update(`${id}\0`);
  hash.update(process.version);
  const key = hash.digest('hex');
  if (own) checker = key;
  return key;
}
