// Waiting for a state of a real part (a proxy's stats, a service's answer) without sleeping a fixed time: poll a
// probe until it gives a value, bounded; the error names what never came and the probe's last error.

/** Polls `probe` every `intervalMs` until it gives a value other than undefined (bounded by `timeoutMs`). */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `never saw ${what} within ${timeoutMs} ms${last === undefined ? '' : `: ${String(last)}`}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
