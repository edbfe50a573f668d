// Durations as proto3 JSON (google.protobuf.Duration): whole seconds with up to milliseconds.

/** Milliseconds as a proto3 JSON Duration. */
export function duration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const rest = ms % 1000;
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0')}s`;
}
