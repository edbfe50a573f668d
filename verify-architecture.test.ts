// The folder rules of DESIGN.md §5 as a test: a change that breaks them fails here, naming the import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = dirname(fileURLToPath(import.meta.url));
const SOURCE_FOLDERS = [
  'cli',
  'runtime',
  'model',
  'sources',
  'actors',
  'backends',
  'dataplane',
  'protos',
  'inspector',
  'replay',
];

/** Which top-level folders each folder may import from (besides itself and packages). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  runtime: [],
  // The model uses the runtime's Message type for the contracts it defines (e.g. the backend contract).
  model: ['runtime'],
  protos: ['runtime', 'model'],
  sources: ['runtime', 'model'],
  actors: ['runtime', 'model'],
  // Backends see only the IR (model/), the runtime and the protocol definitions.
  backends: ['runtime', 'model', 'protos'],
  dataplane: ['runtime', 'model', 'protos'],
  inspector: ['runtime', 'model'],
  // Record and replay of the control plane rebuild its composition (cli/control-plane.ts, see below).
  replay: ['runtime', 'model', 'sources', 'actors', 'backends', 'inspector'],
  // The composition root wires everything together.
  cli: ['runtime', 'model', 'protos', 'sources', 'actors', 'backends', 'dataplane', 'inspector', 'replay'],
};

/** Single files a folder may import besides its folders: replay/ rebuilds the plane cli/ composes. */
const ALLOWED_FILES: Readonly<Record<string, readonly string[]>> = {
  replay: [join('cli', 'control-plane.ts')],
};

interface ImportEdge {
  readonly file: string;
  readonly specifier: string;
  readonly target: string;
}

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'testdata') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

function relativeImports(file: string): ImportEdge[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map(
    (m) => m[1]!,
  );
  return specifiers.map((specifier) => ({
    file: relative(root, file),
    specifier,
    target: relative(root, normalize(join(dirname(file), specifier))),
  }));
}

const edges = SOURCE_FOLDERS.flatMap((folder) => sourceFiles(join(root, folder))).flatMap(relativeImports);
const topFolder = (path: string) => path.split(sep)[0]!;

/**
 * The floors of model/, lowest first. A file imports its own floor and the floors below it, never one above;
 * folders on one floor may use each other (an HTTPRoute backendRef resolves an InferencePool by the pool's rules).
 */
const MODEL_FLOORS: readonly { readonly floor: string; readonly folders: readonly string[] }[] = [
  { floor: 'resource shapes, kinds and keys', folders: ['resources'] },
  { floor: 'the Gateway IR and the backend contract: what backends read', folders: ['ir'] },
  {
    floor: 'what every rule reads: the resource view, conditions, hostnames, selectors, grants',
    folders: ['shared'],
  },
  {
    floor: "the spec's rules per kind",
    folders: ['gateway-api', 'inference', 'ai-gateway', 'policies', 'mcp', 'provisioning'],
  },
  {
    floor: 'whole-Gateway evaluation: the IR built, a whole view, the dependency index',
    folders: ['evaluation'],
  },
];
const MODEL_FLOOR_OF = new Map(MODEL_FLOORS.flatMap(({ folders }, level) => folders.map((f) => [f, level])));
const modelFolder = (path: string) => (topFolder(path) === 'model' ? path.split(sep)[1] : undefined);

/** Every non-test TypeScript file of the tree, its tests' helpers, benchmarks and scripts included. */
function treeFiles(): string[] {
  const top = readdirSync(root).filter((name) => !name.startsWith('.') && name !== 'node_modules');
  return top.flatMap((name) => {
    const path = join(root, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The house rule: a source file a newcomer can hold; a longer one is split along its seams (STYLE.md). */
const MAX_SOURCE_LINES = 500;

/** Every source file of the tree that is not a test (TypeScript and the browser's JavaScript), with its lines. */
function sourceFileLengths(dir = root): { file: string; lines: number }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name.startsWith('.') || name === 'node_modules' || name === 'testdata') return [];
    if (statSync(path).isDirectory()) return sourceFileLengths(path);
    if (!/\.(ts|js|mjs)$/.test(name) || /\.test\.(ts|js|mjs)$/.test(name)) return [];
    return [{ file: relative(root, path), lines: readFileSync(path, 'utf8').split('\n').length - 1 }];
  });
}

/** Import cycles (strongly connected components of more than one file, type imports included), by Tarjan. */
function importCycles(files: readonly string[]): string[][] {
  const known = new Set(files.map((file) => relative(root, file)));
  const next = new Map<string, string[]>();
  for (const file of files) {
    const targets = relativeImports(file)
      .map((edge) => edge.target)
      .filter((target) => known.has(target));
    next.set(relative(root, file), targets);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const target of next.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || next.get(file)?.includes(file)) cycles.push(component.sort());
  };
  for (const file of next.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

describe('architecture (DESIGN.md §5)', () => {
  it('finds the source folders it checks', () => {
    expect(edges.length).toBeGreaterThan(10);
  });

  it('keeps every folder to the folders it may import', () => {
    const violations = edges
      .filter((edge) => {
        const from = topFolder(edge.file);
        const to = topFolder(edge.target);
        return (
          from !== to &&
          !(ALLOWED[from] ?? []).includes(to) &&
          !(ALLOWED_FILES[from] ?? []).includes(edge.target)
        );
      })
      .map((edge) => `${edge.file} imports ${edge.specifier}`);
    expect(violations).toEqual([]);
  });

  it('lets actors talk only through messages: another actor is reached through its messages.ts alone (actors/shared holds building blocks)', () => {
    const violations = edges
      .filter((edge) => topFolder(edge.file) === 'actors' && topFolder(edge.target) === 'actors')
      .filter((edge) => {
        const fromActor = edge.file.split(sep)[1];
        const [, toActor, ...rest] = edge.target.split(sep);
        // actors/shared holds machine building blocks (no actor of its own) that several actors run.
        return fromActor !== toActor && toActor !== 'shared' && rest.join('/') !== 'messages.ts';
      })
      .map((edge) => `${edge.file} imports ${edge.specifier}`);
    expect(violations).toEqual([]);
  });

  it('lets a backend reach another backend only through backends/shared, which reaches no backend (its building blocks follow the backends rules above)', () => {
    const backendOf = (path: string) => path.split(sep)[1];
    expect(
      edges.some((edge) => backendOf(edge.file) === 'shared' && topFolder(edge.file) === 'backends'),
    ).toBe(true);
    const violations = edges
      .filter((edge) => topFolder(edge.file) === 'backends' && topFolder(edge.target) === 'backends')
      .filter(
        (edge) => backendOf(edge.file) !== backendOf(edge.target) && backendOf(edge.target) !== 'shared',
      )
      .map((edge) => `${edge.file} imports ${edge.specifier}`);
    expect(violations).toEqual([]);
  });

  it('never lets production code import tests, test helpers or benchmarks', () => {
    const violations = edges
      .filter(
        (edge) => ['test', 'bench'].includes(topFolder(edge.target)) || edge.target.endsWith('.test.ts'),
      )
      .map((edge) => `${edge.file} imports ${edge.specifier}`);
    expect(violations).toEqual([]);
  });

  it('has no import cycle anywhere in the tree (a cycle means two files are really one, or a type sits on the wrong floor)', () => {
    const files = treeFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(importCycles(files).map((cycle) => `cycle among ${cycle.join(', ')}`)).toEqual([]);
  });

  it(`keeps every non-test source file at ${MAX_SOURCE_LINES} lines or fewer (split a longer one along its seams)`, () => {
    const files = sourceFileLengths();
    expect(files.length).toBeGreaterThan(100);
    const long = files
      .filter(({ lines }) => lines > MAX_SOURCE_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`)
      .sort();
    expect(long).toEqual([]);
  });

  it('keeps every model/ file on a floor: in a folder of MODEL_FLOORS (a new folder is added there, on its floor)', () => {
    const misplaced = sourceFiles(join(root, 'model'))
      .map((file) => relative(root, file))
      .filter((file) => !MODEL_FLOOR_OF.has(modelFolder(file) ?? ''));
    expect(misplaced).toEqual([]);
  });

  it('lets a model/ floor import only its own floor and the floors below it', () => {
    const modelEdges = edges.filter(
      (edge) => topFolder(edge.file) === 'model' && topFolder(edge.target) === 'model',
    );
    expect(modelEdges.length).toBeGreaterThan(50);
    const violations = modelEdges
      .filter((edge) => {
        const from = MODEL_FLOOR_OF.get(modelFolder(edge.file) ?? '') ?? -1;
        const to = MODEL_FLOOR_OF.get(modelFolder(edge.target) ?? '') ?? Number.POSITIVE_INFINITY;
        return to > from;
      })
      .map((edge) => `${edge.file} imports ${edge.specifier} (a higher floor)`);
    expect(violations).toEqual([]);
  });
});
