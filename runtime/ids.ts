// Ids are injected like time: a sequential generator makes traces and replays reproducible.

export interface IdGenerator {
  next(): string;
}

/** `prefix-1`, `prefix-2`, … — deterministic, for tests, replay and production alike. */
export function sequentialIds(prefix = 'm'): IdGenerator {
  let n = 0;
  return {
    next: () => `${prefix}-${++n}`,
  };
}
