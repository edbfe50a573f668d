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
  // The composition root wires everything together.
  cli: ['runtime', 'model', 'protos', 'sources', 'actors', 'backends', 'dataplane', 'inspector'],
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

describe('architecture (DESIGN.md §5)', () => {
  it('finds the source folders it checks', () => {
    expect(edges.length).toBeGreaterThan(10);
  });

  it('keeps every folder to the folders it may import', () => {
    const violations = edges
      .filter((edge) => {
        const from = topFolder(edge.file);
        const to = topFolder(edge.target);
        return from !== to && !(ALLOWED[from] ?? []).includes(to);
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
});
