// The folder upstream keeps an implementation's reports in: conformance/reports/<Gateway API major.minor>/
// switchyard/, with the report named `<channel>-<version>-<mode>-report.yaml` and the README upstream asks for.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GATEWAY_API_VERSION } from '../provision/gateway-api-crds.ts';
import { CONFORMANCE_PROFILES, type ConformanceReport } from './run-suite.ts';

/** Copies the suite's report into the folder and rewrites its README; returns the report's path there. */
export function writeReportFolder(repository: string, reportPath: string, version: string): string {
  const report = parse(readFileSync(reportPath, 'utf8')) as ConformanceReport;
  const minor = GATEWAY_API_VERSION.split('.').slice(0, 2).join('.');
  const dir = join(repository, 'conformance', 'reports', minor, 'switchyard');
  mkdirSync(dir, { recursive: true });
  const reportName = `${report.gatewayAPIChannel}-${version}-default-report.yaml`;
  copyFileSync(reportPath, join(dir, reportName));
  writeFileSync(
    join(dir, 'README.md'),
    `# Switchyard

A Kubernetes Gateway API control plane built as actors, with Envoy and agentgateway data planes.

## Table of contents

| API channel | Implementation version | Mode | Report |
|-------------|------------------------|------|--------|
| ${report.gatewayAPIChannel} | ${version} | default | [${version} report](./${reportName}) |

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
  return join(dir, reportName);
}
