// Gateway API durations (parsed in model/shared/durations.ts) as protobuf Durations in proto3 JSON (`3723s`, `0.500s`).

/** A protobuf Duration in proto3 JSON form. */
export function protoDuration(millis: number): string {
  const seconds = Math.floor(millis / 1000);
  const rest = millis % 1000;
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0')}s`;
}
