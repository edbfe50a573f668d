import { hash } from 'node:crypto';

/**
 * A short digest (SHA-256, base64) of a JSON-serialisable value, for "did this change?" checks whose state is kept
 * per object: the JSON itself would keep a copy of every object alive (MiBs at 10,000 routes), the digest 44 bytes.
 */
export function fingerprint(value: unknown): string {
  return hash('sha256', JSON.stringify(value) ?? 'undefined', 'base64');
}

/**
 * Whether two JSON-serialisable values serialise alike (`fingerprint(a) === fingerprint(b)`, up to key order),
 * without serialising them: objects held by both are equal at once, so comparing a Gateway's new IR with the one
 * sent before costs the parts that were rebuilt, not the whole IR (most of its routes are the same objects).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object')
    return JSON.stringify(a) === JSON.stringify(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return false;
    for (let i = 0; i < a.length; i++) {
      // JSON writes an array's undefined (or function) items as null.
      if (!sameJson(a[i] ?? null, other[i] ?? null)) return false;
    }
    return true;
  }
  if (
    typeof (a as { toJSON?: unknown }).toJSON === 'function' ||
    typeof (b as { toJSON?: unknown }).toJSON === 'function'
  )
    return JSON.stringify(a) === JSON.stringify(b);
  const left = definedEntries(a as Record<string, unknown>);
  const right = definedEntries(b as Record<string, unknown>);
  if (left.length !== right.length) return false;
  const rightByKey = new Map(right);
  for (const [key, value] of left) {
    if (!rightByKey.has(key) || !sameJson(value, rightByKey.get(key))) return false;
  }
  return true;
}

/** The entries JSON writes of an object: those whose value is not undefined, a function or a symbol. */
function definedEntries(object: Record<string, unknown>): [string, unknown][] {
  return Object.entries(object).filter(
    ([, value]) => value !== undefined && typeof value !== 'function' && typeof value !== 'symbol',
  );
}

/**
 * The fingerprint of a value whatever the order of its objects' keys: an object we built and the same object as
 * the API server hands it back (Go's JSON sorts map keys) digest alike.
 */
export function canonicalFingerprint(value: unknown): string {
  return hash('sha256', JSON.stringify(value, sortedKeys) ?? 'undefined', 'base64');
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = (value as Record<string, unknown>)[key];
  return sorted;
}
