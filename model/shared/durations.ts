// Gateway API durations (GEP-2257): one to four `<1–5 digits><h|m|s|ms>` parts, e.g. `1h2m3s`, `500ms`, `0s`.

const UNIT_MILLIS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const PART = /([0-9]{1,5})(h|ms|m|s)/y;
const MAX_PARTS = 4;

/** Milliseconds of a Gateway API duration; undefined when the text is not one. */
export function parseGatewayDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  let millis = 0;
  let parts = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const part = PART.exec(text);
    if (part === null || part.index !== start || ++parts > MAX_PARTS) return undefined;
    millis += Number(part[1]) * (UNIT_MILLIS[part[2]!] ?? 0);
  }
  return millis;
}
