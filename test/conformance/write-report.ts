// `npm run conformance:report`: runs the conformance suite as `npm test` does and writes its ConformanceReport
// where upstream keeps reports, conformance/reports/<Gateway API major.minor>/switchyard/, named
// `<channel>-<version>-<mode>-report.yaml`, with the README upstream asks for next to it.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATEWAY_API_VERSION } from '../provision/gateway-api-crds.ts';
import { KNOWN_FAILURES } from './known-failures.ts';
import { CONFORMANCE_PROFILES, runConformanceSuite } from './run-suite.ts';

const repository = fileURLToPath(new URL('../../', import.meta.url));
const version = (JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8')) as { version: string })
  .version;
const outputDir = mkdtempSync(join(tmpdir(), 'switchyard-conformance-'));
const run = await runConformanceSuite({ outputDir, version, skipTests: Object.keys(KNOWN_FAILURES) });
if (!run.report) {
  process.stderr.write(`the suite wrote no report (exit ${run.exitCode}); its output: ${run.outputPath}\n`);
  process.exit(1);
}
const minor = GATEWAY_API_VERSION.split('.').slice(0, 2).join('.');
const dir = join(repository, 'conformance', 'reports', minor, 'switchyard');
mkdirSync(dir, { recursive: true });
const reportName = `${run.report.gatewayAPIChannel}-${version}-default-report.yaml`;
copyFileSync(run.reportPath, join(dir, reportName));
writeFileSync(
  join(dir, 'README.md'),
  `# Switchyard

A Kubernetes Gateway API control plane built as actors, with Envoy and agentgateway data planes.

## Table of contents

| API channel | Implementation version | Mode | Report |
|-------------|------------------------|------|--------|
| ${run.report.gatewayAPIChannel} | ${version} | default | [${version} report](./${reportName}) |

## Reproduce

From a clone of the repository, as root on Linux (the suite's pods run as processes in network namespaces):

\`\`\`sh
npm install
npm run conformance:report
\`\`\`

This builds the suite (\`sigs.k8s.io/gateway-api/conformance\` ${GATEWAY_API_VERSION}), kube-apiserver and
kube-controller-manager, starts a local cluster whose node agent runs pods as processes, runs Switchyard's
controller against it and the profiles ${CONFORMANCE_PROFILES.join(', ')}, with the extended features the
GatewayClass reports in \`status.supportedFeatures\`, and rewrites this folder. See docs/conformance.md and
docs/testing.md of the repository.
`,
);
process.stdout.write(
  `${join(dir, reportName)}\nfailed tests: ${run.failedTests.join(', ') || 'none'}; suite output: ${run.outputPath}\n`,
);
process.exit(run.failedTests.length === 0 ? 0 : 1);
