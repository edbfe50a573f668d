// Runs the upstream Gateway API conformance suite against Switchyard on a local cluster (test/harness/cluster):
// the controller runs on the node in Kubernetes mode, the suite's echo backends and Switchyard's provisioned
// Envoy Deployments run as pods, and the suite's requests go to the Gateways' load-balancer addresses.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { DEFAULT_CONTROLLER_NAME } from '../../model/gateway-api/gateway-class.ts';
import { localImages } from '../harness/cluster/local-images.ts';
import { type LocalCluster, startLocalCluster, waitFor } from '../harness/cluster/start-cluster.ts';
import { DEPLOY_DIR, readDeployManifests } from '../harness/kube/deploy-manifests.ts';
import { freeLoopbackPort } from '../harness/kube/loopback-port.ts';
import { type ManagedProcess, startManagedProcess } from '../harness/kube/managed-process.ts';
import { readManifests } from '../harness/kube/manifests.ts';
import { provisionEnvoy } from '../provision/envoy.ts';
import { provisionConformanceRunner, provisionEchoBasic } from '../provision/gateway-api-conformance.ts';
import { provisionUpstreamCrdFiles } from '../provision/gateway-api-crds.ts';

export const CONFORMANCE_PROFILES = ['GATEWAY-HTTP', 'GATEWAY-GRPC', 'GATEWAY-TLS'] as const;
export const GATEWAY_CLASS = 'switchyard';
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const XDS_PORT = 18000;

export interface SuiteOptions {
  /** Where the report, the suite's output and every component's log go. */
  readonly outputDir: string;
  /** Tests to leave out (`--skip-tests`), each with its cause in docs/conformance.md. */
  readonly skipTests?: readonly string[];
  /** Run one test only (`--run-test`); features then come from `supportedFeatures`. */
  readonly runTest?: string;
  /** Features to test instead of the GatewayClass's status (`--supported-features`). */
  readonly supportedFeatures?: readonly string[];
  /** Implementation version written into the report. */
  readonly version: string;
}

export interface SuiteRun {
  readonly exitCode: number;
  readonly report: ConformanceReport | undefined;
  readonly reportPath: string;
  readonly outputPath: string;
  /** Names of the top-level `go test -v` subtests that failed (`--- FAIL: TestConformance/<name>`). */
  readonly failedTests: readonly string[];
  readonly supportedFeatures: readonly string[];
  /** Every feature some test that ran relied on (the suite logs "relying on the following features: …"). */
  readonly testedFeatures: ReadonlySet<string>;
}

export interface ProfileReport {
  readonly name: string;
  readonly core: ResultSummary;
  readonly extended?: ResultSummary & { supportedFeatures?: string[]; unsupportedFeatures?: string[] };
  readonly summary: string;
}

interface ResultSummary {
  readonly result: string;
  readonly statistics: { Failed: number; Passed: number; Skipped: number };
  readonly failedTests?: string[];
  readonly skippedTests?: string[];
}

export interface ConformanceReport {
  readonly gatewayAPIVersion: string;
  readonly gatewayAPIChannel: string;
  readonly profiles: ProfileReport[];
  readonly succeededProvisionalTests?: string[];
}

export async function runConformanceSuite(options: SuiteOptions): Promise<SuiteRun> {
  mkdirSync(options.outputDir, { recursive: true });
  const [echoBasic, envoy, runner, upstreamCrdFiles] = await Promise.all([
    provisionEchoBasic(),
    provisionEnvoy(),
    provisionConformanceRunner(),
    provisionUpstreamCrdFiles(),
  ]);
  const ownCrds = readDeployManifests(DEPLOY_DIR)
    .objects.map(({ object }) => object)
    .filter((object) => object.kind === 'CustomResourceDefinition');
  const cluster = await startLocalCluster({
    images: localImages({ echoBasic, envoy, dnsWhoami: true }),
    crds: [...upstreamCrdFiles.flatMap(readManifests), ...ownCrds],
  });
  let controller: ManagedProcess | undefined;
  try {
    controller = await startController(cluster, options.outputDir);
    const supportedFeatures = await createGatewayClass(cluster);
    const reportPath = join(options.outputDir, 'report.yaml');
    const outputPath = join(options.outputDir, 'suite.log');
    const exitCode = await runSuite(runner, cluster, options, reportPath, outputPath);
    let report: ConformanceReport | undefined;
    try {
      report = parse(readFileSync(reportPath, 'utf8')) as ConformanceReport;
    } catch {}
    const output = readFileSync(outputPath, 'utf8');
    const failedTests = [...output.matchAll(/^\s*--- FAIL: TestConformance\/([^/\s]+) /gm)].map((m) => m[1]!);
    const testedFeatures = new Set(
      [...output.matchAll(/relying on the following features: (.*)$/gm)].flatMap((m) =>
        m[1]!.split(',').map((feature) => feature.trim().replace(/-[a-z]+$/, '')),
      ),
    );
    return { exitCode, report, reportPath, outputPath, failedTests, supportedFeatures, testedFeatures };
  } finally {
    await controller?.stop();
    await cluster.stop();
  }
}

async function startController(cluster: LocalCluster, outputDir: string): Promise<ManagedProcess> {
  const httpPort = await freeLoopbackPort();
  const xds = `${cluster.network.gateway}:${XDS_PORT}`;
  const controller = startManagedProcess(
    'switchyard controller',
    process.execPath,
    [
      join(REPOSITORY, 'cli', 'switchyard.ts'),
      'controller',
      `--kubeconfig=${cluster.kubeconfigPath}`,
      `--xds-address=${xds}`,
      `--data-plane-xds-address=${xds}`,
      `--http-address=127.0.0.1:${httpPort}`,
      '--inspector=off',
      '--leader-elect=false',
      '--extproc-config-secret=off',
      '--log-level=info',
    ],
    join(outputDir, 'controller.log'),
  );
  await controller.waitUntil(async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok, 120_000);
  return controller;
}

/** Creates the suite's GatewayClass; returns its status.supportedFeatures once it is Accepted. */
async function createGatewayClass(cluster: LocalCluster): Promise<string[]> {
  const custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  const group = 'gateway.networking.k8s.io';
  await custom.createClusterCustomObject({
    group,
    version: 'v1',
    plural: 'gatewayclasses',
    body: {
      apiVersion: `${group}/v1`,
      kind: 'GatewayClass',
      metadata: { name: GATEWAY_CLASS },
      spec: { controllerName: DEFAULT_CONTROLLER_NAME },
    },
  });
  const accepted = await waitFor(
    `GatewayClass ${GATEWAY_CLASS} Accepted`,
    async () => {
      const gatewayClass = (await custom.getClusterCustomObject({
        group,
        version: 'v1',
        plural: 'gatewayclasses',
        name: GATEWAY_CLASS,
      })) as KubernetesObject & {
        status?: { conditions?: { type: string; status: string }[]; supportedFeatures?: { name: string }[] };
      };
      const condition = gatewayClass.status?.conditions?.find((c) => c.type === 'Accepted');
      return condition?.status === 'True' ? gatewayClass : undefined;
    },
    120_000,
  );
  return (accepted.status?.supportedFeatures ?? []).map((feature) => feature.name);
}

function runSuite(
  runner: string,
  cluster: LocalCluster,
  options: SuiteOptions,
  reportPath: string,
  outputPath: string,
): Promise<number> {
  const args = [
    '-test.run=^TestConformance$',
    '-test.v',
    '-test.timeout=80m',
    `--gateway-class=${GATEWAY_CLASS}`,
    `--conformance-profiles=${CONFORMANCE_PROFILES.join(',')}`,
    '--organization=switchyard-dev',
    '--project=switchyard',
    '--url=https://github.com/switchyard-dev/switchyard',
    `--version=${options.version}`,
    '--contact=https://github.com/switchyard-dev/switchyard/issues',
    `--report-output=${reportPath}`,
    ...(options.skipTests && options.skipTests.length > 0
      ? [`--skip-tests=${options.skipTests.join(',')}`]
      : []),
    ...(options.runTest ? [`--run-test=${options.runTest}`] : []),
    ...(options.supportedFeatures ? [`--supported-features=${options.supportedFeatures.join(',')}`] : []),
  ];
  const log = openSync(outputPath, 'w');
  // setpriv --pdeathsig: the suite dies with us even when we are killed outright.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', runner, ...args], {
    cwd: options.outputDir,
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return new Promise((resolve) => {
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}
