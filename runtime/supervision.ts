// How a parent restarts a crashed actor: capped exponential backoff, reset after a quiet period.

export interface SupervisionPolicy {
  /** Delay before the first restart. */
  readonly initialDelayMs: number;
  /** Cap on the delay between restarts. */
  readonly maxDelayMs: number;
  /** Growth of the delay per consecutive failure. */
  readonly factor: number;
  /** A failure this long after the previous one counts as a first failure again. */
  readonly resetAfterMs: number;
}

export const defaultSupervision: SupervisionPolicy = {
  initialDelayMs: 100,
  maxDelayMs: 30_000,
  factor: 2,
  resetAfterMs: 60_000,
};

/** Delay before restart number `attempt` (1-based). */
export function restartDelay(policy: SupervisionPolicy, attempt: number): number {
  const delay = policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, delay);
}
