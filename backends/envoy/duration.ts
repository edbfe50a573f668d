// Gateway API durations (`1h2m3s`, `500ms`, GEP-2257) as protobuf Durations in proto3 JSON (`3723s`, `0.500s`).

const UNIT_MILLIS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const PART = /([0-9]{1,5})(h|ms|m|s)/y;

/** Milliseconds of a Gateway API duration; undefined when the text is not one. */
export function parseGatewayDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  let millis = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const part = PART.exec(text);
    if (part === null || part.index !== start) return undefined;
    millis += Number(part[1]) * (UNIT_MILLIS[part[2]!] ?? 0);
  }
  return millis;
}

/** A protobuf Duration in proto3 JSON form. */
export function protoDuration(millis: number): string {
  const seconds = Math.floor(millis / 1000);
  const rest = millis % 1000;
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0')}s`;
}
