import { hash } from 'node:crypto';

/**
 * A short digest (SHA-256, base64) of a JSON-serialisable value, for "did this change?" checks whose state is kept
 * per object: the JSON itself would keep a copy of every object alive (MiBs at 10,000 routes), the digest 44 bytes.
 */
export function fingerprint(value: unknown): string {
  return hash('sha256', JSON.stringify(value) ?? 'undefined', 'base64');
}
