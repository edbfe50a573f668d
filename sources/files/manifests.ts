// Reading Kubernetes manifests from YAML (or JSON) files: every document with where it starts, and every
// problem as `file:line: message` so a user can jump to it.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { load as loadYamlQuickly } from 'js-yaml';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { RawObject } from '../../model/resources/resource-events.ts';

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

/**
 * Plain manifests (the usual case) are parsed with js-yaml, about ten times faster than the `yaml` package at
 * the scale of thousands of objects; anything unusual (anchors, directives, content on a `---` line, or an
 * error) goes to the careful parser, which also gives `file:line` errors.
 */
export function parseManifests(file: string, text: string): ManifestFile {
  return parseQuickly(file, text) ?? parseCarefully(file, text);
}

const DOCUMENT_START = /^---(?:\s|$)/;
// Anchors can expand exponentially (a YAML bomb); the careful parser caps aliases.
const ANCHOR_OR_DIRECTIVE = /(^|[\s[{,:-])&[^\s,[\]{}]+|^%|^\.\.\.\s*$/m;

function parseQuickly(file: string, text: string): ManifestFile | undefined {
  if (ANCHOR_OR_DIRECTIVE.test(text)) return undefined;
  const lines = text.split('\n');
  const documents: ManifestDocument[] = [];
  let start = 0;
  for (let end = 0; end <= lines.length; end++) {
    const line = lines[end];
    if (end < lines.length && !DOCUMENT_START.test(line ?? '')) continue;
    if (line !== undefined) {
      const rest = line.slice(3).trim();
      if (rest !== '' && !rest.startsWith('#')) return undefined;
    }
    const first = lines.slice(start, end).findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    if (first >= 0) {
      let value: unknown;
      try {
        value = loadYamlQuickly(lines.slice(start, end).join('\n'));
      } catch {
        return undefined;
      }
      const origin = `${file}:${start + first + 1}`;
      if (value !== null && value !== undefined) {
        for (const item of isList(value) ? (value.items as unknown[]) : [value]) {
          if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
          documents.push({ object: item as RawObject, origin });
        }
      }
    }
    start = end + 1;
  }
  return { file, documents, errors: [] };
}

function parseCarefully(file: string, text: string): ManifestFile {
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
