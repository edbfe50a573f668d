// Reading Kubernetes manifests from YAML (or JSON) files: every document with where it starts, and a file that
// cannot be read as a whole refused with one line `file:line: reason` so a user can jump to it.
//
// Hostile or careless input is refused per file, in bounded time and memory: files that are too large, not
// UTF-8 text, nested too deeply or whose aliases expand too far (a "YAML bomb") are named with the reason, and
// the reader yields to the event loop as it goes, so probes and watches are served while a large file is read.
import { close, constants, fstat, open as openDescriptor, readFile, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { extname, join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { CORE_SCHEMA, load as loadYaml, YAMLException } from 'js-yaml';
import { LineCounter, parseDocument } from 'yaml';
import { interned } from '../../model/resources/interned.ts';
import type { RawObject } from '../../model/resources/resource-events.ts';
import { type DocumentChunk, documentChunks } from './document-chunks.ts';

export interface ManifestDocument {
  readonly object: RawObject;
  /** `file:line` of the document's first line. */
  readonly origin: string;
  /**
   * Why the API server would refuse it (its CustomResourceDefinition's schema and validation rules), when a
   * validator was given: the object is not applied.
   */
  readonly invalid?: readonly string[];
  /**
   * Its CustomResourceDefinition's schema and rules passed it (a validator was given that knows its kind): the
   * owner's own schema check (actors/shared/object-validation.ts) has nothing to add.
   */
  readonly crdChecked?: true;
}

export interface ManifestFile {
  readonly file: string;
  readonly documents: readonly ManifestDocument[];
  /**
   * Why the file was refused (at most one line, `file:line: reason`): its documents cannot be trusted, so none are
   * taken from it.
   */
  readonly errors: readonly string[];
}

/** Limits on one file; each is far above what a real manifest needs. */
export const MANIFEST_LIMITS = {
  /** A larger file is refused before it is read. */
  maxFileBytes: 256 * 1024 * 1024,
  /** Mappings and sequences nested deeper than this are refused (the API server's own decoders stop near here). */
  maxDepth: 100,
  /** Nodes a document may have once its aliases are expanded, per character of its text (plus a floor). */
  maxExpansionPerChar: 10,
  minExpansionLimit: 10_000,
  /** Larger files are parsed on a worker thread, so the event loop keeps serving probes and watches. */
  workerThresholdChars: 1024 * 1024,
  /** Heap the worker may use: parsing a file that needs more refuses it. */
  workerHeapMb: 2048,
  /** The main thread yields to the event loop after taking about this much of a worker's output. */
  yieldEveryChars: 256 * 1024,
} as const;

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
      let entries: string[];
      try {
        entries = (await readdir(path)).filter((name) => !name.startsWith('.')).sort();
      } catch (error) {
        errors.push(`${path}: ${(error as Error).message}`);
        return;
      }
      for (const entry of entries) await visit(join(path, entry), false);
    } else if (explicit || MANIFEST_EXTENSIONS.has(extname(path))) {
      // A named pipe, socket or device found in a directory is no manifest: opening a pipe nobody writes to would
      // wait forever (and hold a thread Node cannot exit without). Named on the command line, it is read (below).
      if (info.isFile() || explicit) files.push(path);
      else errors.push(`${path}: ${fileType(info)}, not a regular file; skipped`);
    }
  };
  for (const path of paths) await visit(path, takeAnyNamedFile);
  return { files: [...new Set(files)].sort(), errors };
}

/** A reason to refuse a whole file, with the line it was found on (1-based; 0 when it concerns the file). */
class Refusal extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.line = line;
  }
}

/**
 * Parses the documents of a manifest file. Each document (the text between `---` lines) is parsed on its own; any
 * problem refuses the whole file with one line.
 */
export function parseManifests(file: string, text: string): ManifestFile {
  const documents: ManifestDocument[] = [];
  try {
    for (const chunk of documentChunks(text)) {
      for (const object of parseChunk(chunk)) {
        documents.push({ object, origin: `${file}:${chunk.firstContentLine}` });
      }
    }
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return {
      file,
      documents: [],
      errors: [`${file}${error.line > 0 ? `:${error.line}` : ''}: ${error.message}`],
    };
  }
  return { file, documents, errors: [] };
}

// An anchor (`&name`) where a node may start; aliases are only possible with one.
const ANCHOR = /(?:^|[\s[{,:-])&[^\s,[\]{}]+/m;

function parseChunk(chunk: DocumentChunk): RawObject[] {
  let value: unknown;
  try {
    value = loadYaml(chunk.text, { maxDepth: MANIFEST_LIMITS.maxDepth, schema: CORE_SCHEMA });
  } catch (error) {
    if (error instanceof RangeError) {
      throw new Refusal(chunk.firstContentLine, 'nested too deeply to read');
    }
    if (error instanceof YAMLException) {
      if (error.reason.startsWith('nesting exceeded maxDepth')) {
        throw new Refusal(
          chunk.firstLine + (error.mark?.line ?? 0),
          `nested deeper than ${MANIFEST_LIMITS.maxDepth} levels`,
        );
      }
      throw syntaxError(chunk, error);
    }
    throw error;
  }
  if (value === null || value === undefined) return [];
  // `includes` first: most documents have no `&` at all, and it is far cheaper than the pattern.
  if (chunk.text.includes('&') && ANCHOR.test(chunk.text)) value = expandAliases(value, chunk);
  value = compacted(value);
  const items = isList(value) ? (value.items as unknown[]) : [value];
  for (const item of items) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new Refusal(
        chunk.firstContentLine,
        'not a Kubernetes manifest: a document must be a mapping with apiVersion, kind and metadata',
      );
    }
  }
  return items as RawObject[];
}

/** V8 keeps a substring of at least this many characters as a slice of the string it was taken from. */
const SLICED_STRING_MIN_LENGTH = 13;
/** Scalars up to this long are interned (a slice among them is then a copy of its own, not of the text's). */
const INTERNED_MAX_LENGTH = 64;

/**
 * Parsed objects live as long as their resource, so each is rebuilt once at its final size. js-yaml builds every
 * sequence by `push`, which leaves room for 17 items behind an array of one (a route's parentRefs, rules, matches,
 * headers, hostnames, backendRefs: ~1.2 KiB per route, 10 % of the full sync's heap), and a scalar of 13 characters
 * or more is a slice of the document's text, which keeps that whole text alive (another 5 %). Arrays are copied at
 * their exact length and long strings out of the text; mappings are changed in place (nothing else holds them yet),
 * their null fields dropped.
 */
function compacted(value: unknown): unknown {
  if (typeof value === 'string') {
    // Values a thousand manifests repeat (apiVersions, kinds, groups, namespaces, enum values) are one string.
    if (value.length <= INTERNED_MAX_LENGTH) return interned(value);
    return value.length < SLICED_STRING_MIN_LENGTH ? value : (JSON.parse(JSON.stringify(value)) as string);
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(compacted);
  const mapping = value as Record<string, unknown>;
  for (const key of Object.keys(mapping)) {
    // An explicit `null` (`group: null`, `selector: ~`, `selector:` with nothing after it) reads as absent, as the
    // API server prunes it before anything sees the object. Items of a list stay: there the API server refuses one.
    if (mapping[key] === null) {
      delete mapping[key];
      continue;
    }
    const child = compacted(mapping[key]);
    // A `__proto__` key is an own property of the parsed mapping; assigning it would set the prototype instead.
    if (key === '__proto__')
      Object.defineProperty(mapping, key, {
        value: child,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else mapping[key] = child;
  }
  return mapping;
}

/**
 * The `yaml` package words syntax errors better than js-yaml ("Flow sequence … must end with a ]" rather than
 * "deficient indentation"): the document is parsed again by it, only to explain the error.
 */
function syntaxError(chunk: DocumentChunk, error: YAMLException): Refusal {
  const lineCounter = new LineCounter();
  const explained = parseDocument(chunk.text, { lineCounter, prettyErrors: false }).errors[0];
  if (explained === undefined) {
    return new Refusal(chunk.firstLine + (error.mark?.line ?? 0), `not valid YAML: ${error.reason}`);
  }
  const line = chunk.firstLine + lineCounter.linePos(explained.pos[0]).line - 1;
  return new Refusal(line, `not valid YAML: ${explained.message.split('\n')[0]}`);
}

/**
 * Aliases make a parsed document share nodes; what reads it later (hashing, validation, output) walks every use.
 * Counts the nodes with aliases expanded, refuses a document that expands far beyond its text, and returns a copy
 * without shared nodes (so setting a field on one object cannot change another).
 */
function expandAliases(value: unknown, chunk: DocumentChunk): unknown {
  const limit = Math.max(
    MANIFEST_LIMITS.minExpansionLimit,
    MANIFEST_LIMITS.maxExpansionPerChar * chunk.text.length,
  );
  let nodes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (++nodes > limit) {
      throw new Refusal(
        chunk.firstContentLine,
        `aliases expand to more than ${limit} nodes (a YAML bomb?); write the values out instead`,
      );
    }
    if (node !== null && typeof node === 'object') {
      for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push(child);
    }
  }
  return structuredCloneWithoutSharing(value);
}

function structuredCloneWithoutSharing(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(structuredCloneWithoutSharing);
  if (value instanceof Date) return new Date(value.getTime());
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) copy[key] = structuredCloneWithoutSharing(child);
  return copy;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Reads and parses one manifest file; a file that is too large or not UTF-8 text is refused unread or unparsed. */
export async function readManifestFile(file: string): Promise<ManifestFile> {
  const refuse = (reason: string): ManifestFile => ({ file, documents: [], errors: [`${file}: ${reason}`] });
  const tooLarge = (size: number) =>
    refuse(
      `${size} bytes is larger than the ${MANIFEST_LIMITS.maxFileBytes} a manifest file may have; split it`,
    );
  let bytes: Buffer;
  try {
    // Not blocking: a named pipe opens at once, whether or not anything writes to it. A descriptor, not a FileHandle:
    // a pipe's is handed to the stream that reads it, which closes it.
    const fd = await openFile(file, constants.O_RDONLY | constants.O_NONBLOCK);
    let piped = false;
    try {
      const info = await fstatFile(fd);
      if (info.isFIFO() || info.isSocket()) {
        piped = true;
        const read = await readPipe(fd);
        if (read === undefined) return tooLarge(MANIFEST_LIMITS.maxFileBytes + 1);
        bytes = read;
      } else if (!info.isFile()) {
        // A device (`-f /dev/zero`, a terminal as /dev/stdin) has no end to read to.
        return refuse(`${fileType(info)}, not a regular file or a pipe`);
      } else {
        if (info.size > MANIFEST_LIMITS.maxFileBytes) return tooLarge(info.size);
        bytes = await readFileAt(fd);
      }
    } finally {
      if (!piped) await closeFile(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return refuse(code === 'ENOENT' ? 'no such file or directory' : (error as Error).message);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) return refuse(`not a text file (a NUL byte at offset ${nul})`);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return refuse('not UTF-8 text');
  }
  return text.length > MANIFEST_LIMITS.workerThresholdChars
    ? parseOffThread(file, text)
    : parseManifests(file, text);
}

const openFile = promisify(openDescriptor);
const fstatFile = promisify(fstat);
const readFileAt = promisify(readFile) as (fd: number) => Promise<Buffer>;
const closeFile = promisify(close);

/**
 * A pipe's bytes to its end (`kubectl kustomize | switchyard translate -f /dev/stdin`), read as the event loop
 * reads a socket (no thread waits on it); undefined past the size limit. A pipe with no writer ends at once.
 */
function readPipe(fd: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const stream = new Socket({ fd, readable: true, writable: false });
    const chunks: Buffer[] = [];
    let length = 0;
    stream.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MANIFEST_LIMITS.maxFileBytes) {
        stream.destroy();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    stream.on('end', () => {
      stream.destroy();
      resolve(Buffer.concat(chunks));
    });
    stream.on('error', reject);
  });
}

/** What a path that is no regular file is, for a user. */
function fileType(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a file';
}

/** What the parse worker (parse-worker.ts) answers: each document as JSON text, or why the file is refused. */
export interface ParseWorkerReply {
  readonly errors: readonly string[];
  readonly origins: readonly string[];
  readonly json: readonly string[];
}

/** One large file at a time: each worker holds its file's text and objects twice over. */
let offThreadQueue: Promise<unknown> = Promise.resolve();

/**
 * Parses on a worker thread, then takes the documents back from their JSON text in steps with yields in between:
 * the main thread never blocks for the whole file (a 20 MB List is seconds of YAML parsing but a List's items
 * cannot be split without parsing them).
 */
function parseOffThread(file: string, text: string): Promise<ManifestFile> {
  const run = offThreadQueue.then(async (): Promise<ManifestFile> => {
    const refuse = (reason: string): ManifestFile => ({
      file,
      documents: [],
      errors: [`${file}: ${reason}`],
    });
    const worker = new Worker(new URL('./parse-worker.ts', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: MANIFEST_LIMITS.workerHeapMb },
      ...importFlags(),
    });
    let reply: ParseWorkerReply;
    try {
      reply = await new Promise<ParseWorkerReply>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the parser stopped with exit code ${code}`)));
        worker.postMessage({ file, text });
      });
    } catch (error) {
      return refuse(
        (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `needs more than ${MANIFEST_LIMITS.workerHeapMb} MiB to parse; split it`
          : `could not be parsed: ${(error as Error).message}`,
      );
    } finally {
      void worker.terminate();
    }
    if (reply.errors.length > 0) return { file, documents: [], errors: reply.errors };
    const documents: ManifestDocument[] = [];
    let sinceYield = 0;
    for (let i = 0; i < reply.json.length; i++) {
      const json = reply.json[i] as string;
      documents.push({ object: JSON.parse(json) as RawObject, origin: reply.origins[i] as string });
      sinceYield += json.length;
      if (sinceYield >= MANIFEST_LIMITS.yieldEveryChars) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    return { file, documents, errors: [] };
  });
  offThreadQueue = run.catch(() => undefined);
  return run;
}

function isList(value: unknown): value is { kind: string; items: unknown[] } {
  const candidate = value as { kind?: unknown; items?: unknown };
  return (
    typeof candidate?.kind === 'string' && candidate.kind.endsWith('List') && Array.isArray(candidate.items)
  );
}

/**
 * The process's `--import` modules for a worker thread, which takes only the flags the process started with: the
 * installed `switchyard` adds the hook that strips its TypeScript under node_modules (cli/installed-types.mjs).
 */
function importFlags(): { execArgv?: string[] } {
  const flags: string[] = [];
  process.execArgv.forEach((flag, index) => {
    const module = process.execArgv[index + 1];
    if (flag === '--import' && module !== undefined) flags.push(flag, module);
  });
  return flags.length === 0 ? {} : { execArgv: flags };
}
