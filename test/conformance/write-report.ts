// `npm run conformance:report`: runs the conformance suite as `npm test` does and writes its ConformanceReport
// where upstream keeps reports (report-folder.ts).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KNOWN_FAILURES } from './known-failures.ts';
import { writeReportFolder } from './report-folder.ts';
import { runConformanceSuite } from './run-suite.ts';

const repository = fileURLToPath(new URL('../../', import.meta.url));
const version = (JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8')) as { version: string })
  .version;
const outputDir = mkdtempSync(join(tmpdir(), 'switchyard-conformance-'));
const run = await runConformanceSuite({ outputDir, version, skipTests: Object.keys(KNOWN_FAILURES) });
if (!run.report) {
  process.stderr.write(`the suite wrote no report (exit ${run.exitCode}); its output: ${run.outputPath}\n`);
  process.exit(1);
}
const written = writeReportFolder(repository, run.reportPath, version);
process.stdout.write(
  `${written}\nfailed tests: ${run.failedTests.join(', ') || 'none'}; suite output: ${run.outputPath}\n`,
);
process.exit(run.failedTests.length === 0 ? 0 : 1);
