// Reading fields of objects that may be malformed: a list that is not an array reads as empty.

export function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}
