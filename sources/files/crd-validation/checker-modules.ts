// Every module the CRD checks can load, found by following imports from this folder's files (verdict-cache.ts keys
// kept verdicts by them): a source file changed anywhere the checks reach, or another version of any package they
// load — a dependency of a dependency included — is other checking code, whose verdicts are never read.
import { readFileSync } from 'node:fs';
import { findPackageJSON } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface CheckerModules {
  /** Source files, absolute paths, sorted. */
  readonly files: readonly string[];
  /** Packages as `name@version`, sorted. */
  readonly packages: readonly string[];
  /** Each package's package.json, absolute paths, in the order of `packages`. */
  readonly packageFiles: readonly string[];
}

// Static imports and re-exports, dynamic imports and createRequire loads (cel-library.ts) of a literal specifier; not
// type-only imports and re-exports, which are erased.
const SPECIFIERS =
  /(?:^|[\s;])(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\b(?:import|load)\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** The modules `roots` (source files) load, following relative imports and packages' dependencies. */
export function checkerModules(roots: readonly string[]): CheckerModules {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const visitFile = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(SPECIFIERS)) {
      const specifier = (match[1] ?? match[2]) as string;
      if (specifier.startsWith('node:')) continue;
      if (specifier.startsWith('.')) visitFile(resolve(dirname(file), specifier));
      else visitPackage(specifier, pathToFileURL(file).href);
    }
  };
  const visitPackage = (specifier: string, from: string): void => {
    const name = packageName(specifier);
    let manifest: string | undefined;
    try {
      manifest = findPackageJSON(name, from);
    } catch {
      // Not installed (an optional peer): nothing of it is loaded.
      return;
    }
    if (manifest === undefined || packages.has(manifest)) return;
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as PackageJson;
    packages.set(manifest, `${json.name}@${json.version}`);
    const url = pathToFileURL(manifest).href;
    for (const dependency of Object.keys({ ...json.dependencies, ...json.peerDependencies }))
      visitPackage(dependency, url);
  };
  for (const root of roots) visitFile(root);
  const byName = [...packages].sort(([, a], [, b]) => a.localeCompare(b));
  return {
    files: [...files].sort(),
    packages: byName.map(([, id]) => id),
    packageFiles: byName.map(([manifest]) => manifest),
  };
}

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/** `@scope/name` or `name` of a bare specifier (`@bufbuild/cel/ext` → `@bufbuild/cel`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

/** This folder's files that check objects and keep their verdicts, tests and test data aside. */
export function checkerRoots(folder: string, names: readonly string[]): string[] {
  return names
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    .sort()
    .map((name) => join(folder, name));
}
