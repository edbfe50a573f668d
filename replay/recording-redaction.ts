// What a recording holds in place of secret values (docs/record-replay.md, "Secrets in recordings"): a recording
// is made to be shared (a bug report), so by default no Secret data, inline key, access token or credential-looking
// text reaches it. Each value is replaced by a marker with a digest keyed per recording, so a replay still sees a
// value change (another digest) or stay the same, and nobody can test a guess against the digest without the key,
// which is never written.
import { createHmac, randomBytes } from 'node:crypto';
import { SECRET_FIELDS } from '../model/shared/secret-fields.ts';
import { redactText } from '../runtime/secret-text.ts';

/** How every redacted value starts in a recording (`[REDACTED digest:0123456789abcdef0123]`). */
export const RECORDED_MARKER_PREFIX = '[REDACTED digest:';

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----/;

/** Secret data keys that hold public material, kept so a replay checks the same certificates the live run did. */
const PUBLIC_DATA_KEYS = new Set(['tls.crt', 'ca.crt']);

/**
 * String fields redacted by their name wherever they are: port outcomes that carry credentials (an access token
 * fetched for a BackendSecurityPolicy, AWS credentials from STS). Only strings: in a policy's spec the same names
 * hold a reference to a Secret (`clientSecret: {name}`), which replay needs.
 */
const SECRET_FIELD_NAME =
  /(?:token|secret|password|passwd|api[-_]?key|authorization|bearer|private[-_]?key|credentials?|secretAccessKey|accessKeyId)$/i;

/** The Kubernetes kinds whose objects carry secret values at known paths (model/shared/secret-fields.ts). */
const KIND_PATHS = new Map<string, (readonly string[])[]>();
for (const entry of SECRET_FIELDS) {
  if (!('kind' in entry.carrier)) continue;
  const paths = KIND_PATHS.get(entry.carrier.kind) ?? [];
  paths.push(entry.path);
  KIND_PATHS.set(entry.carrier.kind, paths);
}

export interface RecordingRedaction {
  /** A copy of `value` without secret values (parts without any are shared, never copied); never mutates it. */
  redact<T>(value: T): T;
  /** Values replaced so far. */
  readonly redacted: number;
}

/** A redaction whose digests are keyed with `key` (default: 32 random bytes, kept in memory only). */
export function recordingRedaction(key: Buffer = randomBytes(32)): RecordingRedaction {
  let redacted = 0;
  const marker = (value: string): string => {
    redacted++;
    return `${RECORDED_MARKER_PREFIX}${createHmac('sha256', key).update(value).digest('hex').slice(0, 20)}]`;
  };
  // An htpasswd SHA-1 hash gets a digest in its own shape (20 bytes, base64), so the replayed file still parses.
  const shaShaped = (value: string): string => {
    redacted++;
    return createHmac('sha256', key).update(value).digest().subarray(0, 20).toString('base64');
  };

  // A file of lines (an AWS credentials file, htpasswd) keeps its structure — sections, names, users — and loses each
  // value: a replay still finds the profile's fields and the file's users. Anything else is one marker.
  const secretText = (text: string): string => {
    if (!text.includes('\n') || PEM_BLOCK.test(text)) return marker(text);
    return text.replace(
      /^([ \t]*)(.*?)([ \t]*)$/gm,
      (line, indent: string, body: string, trailing: string) => {
        if (body === '' || /^[[#;]/.test(body)) return line;
        const sha = /^([^:\s]+:\{SHA\})[A-Za-z0-9+/]{27}=$/.exec(body);
        if (sha !== null) return `${indent}${sha[1]}${shaShaped(body)}${trailing}`;
        const named = /^([\w.-]+[ \t]*=[ \t]*|[^:\s]+:)(.+)$/.exec(body);
        return `${indent}${named === null ? marker(body) : `${named[1]}${marker(named[2] as string)}`}${trailing}`;
      },
    );
  };

  const replaceAt = (value: unknown, path: readonly string[], inData: boolean): unknown => {
    if (path.length === 0) {
      if (typeof value !== 'string') return value;
      // Secret `data` is base64: the marker is too, so a reader decoding it reads the marker.
      if (!inData) return secretText(value);
      const decoded = Buffer.from(value, 'base64');
      const text = decoded.toString('utf8');
      return Buffer.from(Buffer.from(text).equals(decoded) ? secretText(text) : marker(value)).toString(
        'base64',
      );
    }
    if (value === null || typeof value !== 'object') return value;
    const [step, ...rest] = path as [string, ...string[]];
    const container = value as Record<string, unknown>;
    const keys = step === '*' ? Object.keys(container) : step in container ? [step] : [];
    let copy: Record<string, unknown> | unknown[] | undefined;
    for (const name of keys) {
      if (rest.length === 0 && PUBLIC_DATA_KEYS.has(name)) continue;
      const next = replaceAt(container[name], rest, inData || name === 'data');
      if (next === container[name]) continue;
      copy ??= Array.isArray(value) ? [...value] : { ...container };
      (copy as Record<string, unknown>)[name] = next;
    }
    return copy ?? value;
  };

  const walk = (value: unknown, field: string | undefined, depth: number): unknown => {
    if (typeof value === 'string') {
      if (isMarker(value)) return value;
      if (field !== undefined && SECRET_FIELD_NAME.test(field) && value !== '') return marker(value);
      const text = redactText(value);
      if (text !== value) redacted++;
      return text;
    }
    if (value === null || typeof value !== 'object' || depth > 256) return value;
    // Maps, Sets, class instances: left for the log writer, which refuses what JSON cannot carry faithfully.
    const prototype = Object.getPrototypeOf(value);
    if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return value;
    let object = value as Record<string, unknown>;
    const kind = Array.isArray(value) ? undefined : object.kind;
    if (typeof kind === 'string' && object.metadata !== undefined)
      for (const path of KIND_PATHS.get(kind) ?? [])
        object = replaceAt(object, path, false) as Record<string, unknown>;
    let copy: Record<string, unknown> | unknown[] | undefined;
    for (const [name, inner] of Object.entries(object)) {
      // Done above, key by key: a data key named like a secret field (`credentials`) keeps its structure.
      if (kind === 'Secret' && (name === 'data' || name === 'stringData')) continue;
      const next = walk(inner, Array.isArray(value) ? field : name, depth + 1);
      if (next === inner) continue;
      copy ??= Array.isArray(object) ? [...object] : { ...object };
      (copy as Record<string, unknown>)[name] = next;
    }
    const result = (copy ?? object) as Record<string, unknown>;
    const isObject =
      typeof kind === 'string' && object.metadata !== null && typeof object.metadata === 'object';
    return result !== value && isObject ? markedRedacted(result) : result;
  };

  return {
    redact: <T>(value: T) => walk(value, undefined, 0) as T,
    get redacted() {
      return redacted;
    },
  };
}

/**
 * The objects of a recording whose secret values were replaced (`Secret apps/server-cert`), from its records: what a
 * replay cannot reproduce exactly where a status depends on the values themselves.
 */
export function redactedObjects(records: readonly unknown[]): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > 256) return;
    const metadata = (value as { metadata?: { name?: unknown; namespace?: unknown; annotations?: unknown } })
      .metadata;
    const annotations = metadata?.annotations as Record<string, unknown> | undefined;
    if (annotations?.[REDACTED_ANNOTATION] === 'true') {
      const namespace = typeof metadata?.namespace === 'string' ? `${metadata.namespace}/` : '';
      found.add(`${String((value as { kind?: unknown }).kind)} ${namespace}${String(metadata?.name)}`);
      return;
    }
    for (const inner of Object.values(value)) visit(inner, depth + 1);
  };
  for (const record of records) visit(record, 0);
  return [...found].sort();
}

/**
 * Set on each object of a recording whose values were replaced: what `switchyard replay` names (a SHA-1 hash keeps
 * its shape, so the values alone do not always say so). The plane reads no annotation of this name.
 */
export const REDACTED_ANNOTATION = 'switchyard.dev/recording-redacted';

function markedRedacted(object: Record<string, unknown>): Record<string, unknown> {
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  const annotations = (metadata.annotations ?? {}) as Record<string, unknown>;
  return {
    ...object,
    metadata: { ...metadata, annotations: { ...annotations, [REDACTED_ANNOTATION]: 'true' } },
  };
}

// How a marker starts in a Secret's `data`, base64-encoded: its first 15 bytes are whole base64 groups.
const MARKER_BASE64_PREFIX = Buffer.from(RECORDED_MARKER_PREFIX.slice(0, 15)).toString('base64');

function isMarker(value: string): boolean {
  return value.startsWith(RECORDED_MARKER_PREFIX) || value.startsWith(MARKER_BASE64_PREFIX);
}
