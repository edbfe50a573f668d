// Runs each benchmark file in its own Node process (clean heap, no cross-talk) and passes its JSON lines on.
// `npm run bench` runs them all; `npm run bench -- runtime` runs the ones whose file name contains "runtime".
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PRODUCTION_V8_FLAGS = ['--max-semi-space-size=16', '--no-allocation-site-pretenuring'];
const filter = process.argv[2] ?? '';
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.ts') && name.includes(filter))
  .sort();
let failed = 0;
for (const file of files) {
  // The V8 settings the container image runs with (Dockerfile ENTRYPOINT), so memory figures match production.
  const result = spawnSync(process.execPath, ['--expose-gc', ...PRODUCTION_V8_FLAGS, join(here, file)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    failed++;
    process.stderr.write(`benchmark ${file} failed with exit code ${result.status}\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
