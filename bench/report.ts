// Every benchmark prints one JSON line per figure, so CI and people can collect them with `grep '^{'`.

export function report(bench: string, metric: string, value: number, unit: string): void {
  const rounded = Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 1000) / 1000;
  process.stdout.write(`${JSON.stringify({ bench, metric, value: rounded, unit })}\n`);
}

export function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}
