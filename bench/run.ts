// Runs each benchmark file in its own Node process (clean heap, no cross-talk) and passes its JSON lines on.
// `npm run bench` runs them all; `npm run bench -- runtime` runs the ones whose file name contains "runtime".
// Then it writes an HTML report (bench/html-report.ts): a chart per benchmark against its target and against
// the previous run, which the results folder keeps (`--results <dir>`, default bench-results/, git-ignored).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Figure, writeReport } from './html-report.ts';

const here = dirname(fileURLToPath(import.meta.url));
const PRODUCTION_V8_FLAGS = ['--max-semi-space-size=16', '--no-allocation-site-pretenuring'];
const { values, positionals } = parseArgs({
  options: { results: { type: 'string', default: join(here, '..', 'bench-results') } },
  allowPositionals: true,
});
const filter = positionals[0] ?? '';
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.ts') && name.includes(filter))
  .sort();
const figures: Figure[] = [];
let failed = 0;
for (const file of files) {
  // The V8 settings the container image runs with (Dockerfile ENTRYPOINT), so memory figures match production.
  const code = await runBenchmark(file);
  if (code !== 0) {
    failed++;
    process.stderr.write(`benchmark ${file} failed with exit code ${code}\n`);
  }
}
if (figures.length > 0) {
  const report = writeReport(resolve(values.results), figures, new Date());
  process.stderr.write(`bench report: ${report}\n`);
}
process.exit(failed === 0 ? 0 : 1);

/** Runs one benchmark file, passing its output on and keeping its figures. */
async function runBenchmark(file: string): Promise<number | null> {
  const child = spawn(process.execPath, ['--expose-gc', ...PRODUCTION_V8_FLAGS, join(here, file)], {
    stdio: ['inherit', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    process.stdout.write(`${line}\n`);
    const figure = parseFigure(line);
    if (figure !== undefined) figures.push(figure);
  });
  const [code] = await Promise.all([
    new Promise<number | null>((resolve) => child.once('close', resolve)),
    new Promise((resolve) => lines.once('close', resolve)),
  ]);
  return code;
}

function parseFigure(line: string): Figure | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const figure = JSON.parse(line) as Partial<Figure>;
    return typeof figure.bench === 'string' &&
      typeof figure.metric === 'string' &&
      typeof figure.value === 'number' &&
      typeof figure.unit === 'string'
      ? (figure as Figure)
      : undefined;
  } catch {
    return undefined;
  }
}
