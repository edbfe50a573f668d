// Provisions every real part the test suite needs, before Vitest starts: a fresh machine pays once (the Go
// builds of etcd, kube-apiserver, kube-controller-manager, the Gateway API conformance suite and its echo
// server, Envoy's rate limit service, helm for the chart check, the Envoy wheel, Chromium; Debian's redis-server),
// later runs find everything in the cache. Every part a test builds on first use belongs here: a build inside a test
// runs against the test's timeout (helm's Go build took longer than the chart test's 600 s on a cold, busy machine).
// A part that cannot be provisioned fails the run with a message naming it — nothing is silently skipped.
import { ProvisionError } from './cache.ts';
import { provisionChromium } from './chromium.ts';
import { provisionEnvoy } from './envoy.ts';
import { provisionEtcd } from './etcd.ts';
import { provisionConformanceRunner, provisionEchoBasic } from './gateway-api-conformance.ts';
import { provisionUpstreamCrdFiles } from './gateway-api-crds.ts';
import { provisionHelm } from './helm.ts';
import { provisionKubeApiserver, provisionKubeControllerManager } from './kubernetes.ts';
import { provisionRateLimit, provisionRedis } from './ratelimit.ts';

const parts: Record<string, () => Promise<unknown>> = {
  etcd: provisionEtcd,
  // kube-controller-manager after kube-apiserver: most of its packages are then in Go's build cache.
  'kube-apiserver and kube-controller-manager': () =>
    provisionKubeApiserver().then(provisionKubeControllerManager),
  'Gateway API conformance suite and echo server': () =>
    Promise.all([provisionConformanceRunner(), provisionEchoBasic()]),
  'Gateway API and Inference Extension CRDs': provisionUpstreamCrdFiles,
  envoy: () => provisionEnvoy(),
  'rate limit service and redis-server': () => Promise.all([provisionRateLimit(), provisionRedis()]),
  helm: provisionHelm,
  chromium: provisionChromium,
};

const started = performance.now();
const results = await Promise.allSettled(
  Object.entries(parts).map(async ([name, provision]) => {
    const t0 = performance.now();
    await provision();
    process.stderr.write(`provisioned ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }),
);
const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
for (const failure of failures) {
  const error = failure.reason as unknown;
  process.stderr.write(
    `${error instanceof ProvisionError ? error.message : `provisioning failed: ${String(error)}`}\n`,
  );
}
process.stderr.write(`test infrastructure ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
process.exit(failures.length === 0 ? 0 : 1);
