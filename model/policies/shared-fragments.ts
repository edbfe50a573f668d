// IR fragments that many policies spell the same way (the same retries, timeouts, circuit breaker for every route
// of an application) kept as one object: a policy's IR is held for as long as the policy is, so 10,000 policies
// with the same retry settings would otherwise hold 10,000 equal copies. Fragments are plain data (the IR is
// read-only), compared by their JSON; the table holds at most MAX_FRAGMENTS of them and starts over when full, so
// policies that all differ cost a bounded table, not a growing one.

const MAX_FRAGMENTS = 1_024;

export class FragmentTable {
  readonly #byJson = new Map<string, unknown>();

  /** `fragment`, or an equal one this table handed out before. */
  share<T>(fragment: T): T {
    if (fragment === undefined || fragment === null || typeof fragment !== 'object') return fragment;
    const json = JSON.stringify(fragment);
    const known = this.#byJson.get(json);
    if (known !== undefined) return known as T;
    if (this.#byJson.size >= MAX_FRAGMENTS) this.#byJson.clear();
    this.#byJson.set(json, fragment);
    return fragment;
  }

  get size(): number {
    return this.#byJson.size;
  }
}

/** BackendTrafficPolicy's retries, timeouts, fault injection and cluster settings. */
export const TRAFFIC_FRAGMENTS = new FragmentTable();
