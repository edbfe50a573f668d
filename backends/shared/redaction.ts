// Private keys in data-plane resources shown to people (`translate --show xds`, `replay --show xds`) are replaced
// by one marker: the output can be shared, and a diff still shows where a key is.

export const REDACTED_KEY = '[REDACTED: private key]';

/** A deep copy with every private key (a `privateKey` / `private_key` field, inline or not) replaced by the marker. */
export function redactKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactKeys);
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(value)) {
    if (/^private_?key$/i.test(field))
      copy[field] =
        inner !== null && typeof inner === 'object' && 'inlineString' in inner
          ? { inlineString: REDACTED_KEY }
          : REDACTED_KEY;
    else copy[field] = redactKeys(inner);
  }
  return copy;
}
