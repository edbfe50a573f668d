// Reading Kubernetes manifests from YAML (or JSON) files: every document with where it starts, and every
// problem as `file:line: message` so a user can jump to it.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { RawObject } from '../../model/resource-events.ts';

export interface ManifestDocument {
  readonly object: RawObject;
  /** `file:line` of the document's first line. */
  readonly origin: string;
}

export interface ManifestFile {
  readonly file: string;
  readonly documents: readonly ManifestDocument[];
  /** Unreadable YAML: the file's documents cannot be trusted, so none are taken from it. */
  readonly errors: readonly string[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Every manifest file under the given directories (recursively) and the given files, sorted. */
export async function findManifestFiles(
  paths: readonly string[],
  takeAnyNamedFile = true,
): Promise<{ files: string[]; errors: string[] }> {
  const files: string[] = [];
  const errors: string[] = [];
  const visit = async (path: string, explicit: boolean): Promise<void> => {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      errors.push(
        `${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`,
      );
      return;
    }
    if (info.isDirectory()) {
      const entries = (await readdir(path)).filter((name) => !name.startsWith('.')).sort();
      for (const entry of entries) await visit(join(path, entry), false);
    } else if (explicit || MANIFEST_EXTENSIONS.has(extname(path))) {
      files.push(path);
    }
  };
  for (const path of paths) await visit(path, takeAnyNamedFile);
  return { files: [...new Set(files)].sort(), errors };
}

export function parseManifests(file: string, text: string): ManifestFile {
  const lineCounter = new LineCounter();
  const documents: ManifestDocument[] = [];
  const errors: string[] = [];
  for (const document of parseAllDocuments(text, { lineCounter, prettyErrors: false })) {
    for (const error of document.errors) {
      const line = lineCounter.linePos(error.pos[0]).line;
      errors.push(`${file}:${line}: ${error.message.split('\n')[0]}`);
    }
    if (document.errors.length > 0) continue;
    const value = document.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) continue;
    const start = document.contents?.range?.[0] ?? 0;
    const origin = `${file}:${lineCounter.linePos(start).line}`;
    const items = isList(value) ? (value.items as unknown[]) : [value];
    for (const item of items) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        errors.push(`${origin}: a manifest must be a mapping with apiVersion, kind and metadata`);
        continue;
      }
      documents.push({ object: item as RawObject, origin });
    }
  }
  return { file, documents: errors.length > 0 ? [] : documents, errors };
}

export async function readManifestFile(file: string): Promise<ManifestFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { file, documents: [], errors: [`${file}: ${(error as Error).message}`] };
  }
  return parseManifests(file, text);
}

function isList(value: unknown): value is { kind: string; items: unknown[] } {
  const candidate = value as { kind?: unknown; items?: unknown };
  return (
    typeof candidate?.kind === 'string' && candidate.kind.endsWith('List') && Array.isArray(candidate.items)
  );
}
