// The Helm chart installs what the plain manifests install: the same RBAC rules, the same controller pod and
// Service, our CRD from deploy/crds — and its values change what they say they change, into objects the API
// server accepts.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { RATE_LIMIT_NODE_PREFIX } from '../../backends/envoy/node-identity.ts';
import { renderHelmChart } from '../harness/kube/helm-chart.ts';
import { DEPLOY_DIR, kubeTest, readManifests, serverSideApply } from '../harness/kube/index.ts';
import { runCommand } from '../provision/cache.ts';
import { provisionHelm } from '../provision/helm.ts';
import { RATELIMIT_IMAGE_TAG } from '../provision/ratelimit.ts';
import {
  clusterRoleProblems,
  controllerPodProblems,
  extProcConfigRoleProblems,
  extProcPodProblems,
  leaderElectionRoleProblems,
  mcpPodProblems,
  type PodSpec,
  type PolicyRule,
} from './deploy-checks.ts';

const CHART = join(DEPLOY_DIR, 'helm/switchyard');

// biome-ignore lint/suspicious/noExplicitAny: manifests are compared field by field
type Manifest = KubernetesObject & Record<string, any>;

const MANIFESTS = join(DEPLOY_DIR, 'manifests');
const plain = readdirSync(MANIFESTS)
  .filter((file) => file.endsWith('.yaml'))
  .sort()
  .flatMap((file) => readManifests(join(MANIFESTS, file)) as Manifest[]);
const identity = (o: KubernetesObject) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const find = (objects: Manifest[], kind: string, name?: string) => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};

async function render(args: string[] = []): Promise<{ code: number; objects: Manifest[]; stderr: string }> {
  const helm = await provisionHelm();
  const result = await runCommand(helm, [
    'template',
    'switchyard',
    CHART,
    '--namespace',
    'switchyard-system',
    ...args,
  ]);
  const objects = parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as Manifest | null)
    .filter((o): o is Manifest => o !== null);
  return { code: result.code, objects, stderr: result.stderr };
}

describe('with its default values', () => {
  it('renders the objects of the plain manifests, with the same rules, pod and ports', async () => {
    const chart = (await renderHelmChart(CHART, 'switchyard-system')).map(({ object }) => object as Manifest);
    // The namespace is helm's (--namespace, --create-namespace).
    expect(chart.map(identity).sort()).toEqual(
      plain
        .filter((o) => o.kind !== 'Namespace')
        .map(identity)
        .sort(),
    );
    for (const [kind, name] of [
      ['ClusterRole', 'switchyard'],
      ['Role', 'switchyard-leader-election'],
      ['Role', 'switchyard-extproc-config'],
      ['Role', 'switchyard-mcp-config'],
    ] as const) {
      expect(find(chart, kind, name).rules, name).toEqual(find(plain, kind, name).rules);
    }
    expect(clusterRoleProblems(find(chart, 'ClusterRole').rules as PolicyRule[])).toEqual([]);
    expect(
      leaderElectionRoleProblems(find(chart, 'Role', 'switchyard-leader-election').rules as PolicyRule[]),
    ).toEqual([]);
    expect(
      extProcConfigRoleProblems(
        find(chart, 'Role', 'switchyard-extproc-config').rules as PolicyRule[],
        'switchyard-extproc-config',
      ),
    ).toEqual([]);
    const pod = find(chart, 'Deployment').spec.template.spec as PodSpec;
    expect(controllerPodProblems(pod)).toEqual([]);
    expect(pod).toEqual(find(plain, 'Deployment').spec.template.spec);
    expect(find(chart, 'Service').spec.ports).toEqual(find(plain, 'Service').spec.ports);
    expect(find(chart, 'Service').spec.selector).toEqual(find(chart, 'Deployment').spec.selector.matchLabels);
    for (const [kind, name] of [
      ['ClusterRoleBinding', 'switchyard'],
      ['RoleBinding', 'switchyard-leader-election'],
      ['RoleBinding', 'switchyard-extproc-config'],
      ['RoleBinding', 'switchyard-mcp-config'],
    ] as const) {
      expect(find(chart, kind, name).subjects).toEqual(find(plain, kind, name).subjects);
    }
  }, 600_000);

  it('with mcp.enabled, renders the MCP proxy Deployment and Service of deploy/mcp/', async () => {
    const { code, objects, stderr } = await render(['--set', 'mcp.enabled=true']);
    expect(code, stderr).toBe(0);
    const mcp = readManifests(join(DEPLOY_DIR, 'mcp/switchyard-mcp.yaml')) as Manifest[];
    const deployment = find(objects, 'Deployment', 'switchyard-mcp');
    const pod = deployment.spec.template.spec as PodSpec;
    expect(mcpPodProblems(pod, 'switchyard-mcp-config')).toEqual([]);
    expect(pod).toEqual(find(mcp, 'Deployment').spec.template.spec);
    const service = find(objects, 'Service', 'switchyard-mcp');
    const { selector: _selector, ...spec } = service.spec;
    const { selector: _plainSelector, ...plainSpec } = find(mcp, 'Service').spec;
    expect(spec).toEqual(plainSpec);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  }, 600_000);

  it('with extproc.enabled, renders the ext_proc Deployment and Service of deploy/extproc/', async () => {
    const { code, objects, stderr } = await render(['--set', 'extproc.enabled=true']);
    expect(code, stderr).toBe(0);
    const extproc = readManifests(join(DEPLOY_DIR, 'extproc/switchyard-extproc.yaml')) as Manifest[];
    const deployment = find(objects, 'Deployment', 'switchyard-extproc');
    const pod = deployment.spec.template.spec as PodSpec;
    expect(extProcPodProblems(pod, 'switchyard-extproc-config')).toEqual([]);
    expect(pod).toEqual(find(extproc, 'Deployment').spec.template.spec);
    const service = find(objects, 'Service', 'switchyard-extproc');
    const { selector: _selector, ...spec } = service.spec;
    const { selector: _plainSelector, ...plainSpec } = find(extproc, 'Service').spec;
    expect(spec).toEqual(plainSpec);
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    // The controller's own pod is unchanged: it always writes the Secret and points Envoy at this Service.
    expect(find(objects, 'Deployment', 'switchyard').spec.template.spec).toEqual(
      find(plain, 'Deployment').spec.template.spec,
    );
  }, 600_000);

  it('carries our CRDs, from deploy/crds', async () => {
    const { code, objects } = await render(['--include-crds']);
    expect(code).toBe(0);
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds).toEqual(
      [
        'crds/aigatewayroutes.aigateway.envoyproxy.io.yaml',
        'crds/aiservicebackends.aigateway.envoyproxy.io.yaml',
        'crds/backends.gateway.envoyproxy.io.yaml',
        'crds/backendsecuritypolicies.aigateway.envoyproxy.io.yaml',
        'crds/backendtrafficpolicies.gateway.envoyproxy.io.yaml',
        'crds/clienttrafficpolicies.gateway.envoyproxy.io.yaml',
        'crds/envoyextensionpolicies.gateway.envoyproxy.io.yaml',
        'crds/envoyproxies.gateway.envoyproxy.io.yaml',
        'crds/gatewayclassparameters.switchyard.dev.yaml',
        'crds/gatewayconfigs.aigateway.envoyproxy.io.yaml',
        'crds/httproutefilters.gateway.envoyproxy.io.yaml',
        'crds/mcproutes.aigateway.envoyproxy.io.yaml',
        'crds/quotapolicies.aigateway.envoyproxy.io.yaml',
        'crds/securitypolicies.gateway.envoyproxy.io.yaml',
      ].flatMap((file) => readManifests(join(DEPLOY_DIR, file)) as Manifest[]),
    );
  }, 600_000);
});

kubeTest(
  'its values take effect and the result passes a server-side dry-run',
  async ({ kube }) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-chart-'));
    try {
      const values = join(dir, 'values.yaml');
      writeFileSync(
        values,
        [
          'image: {repository: registry.example/switchyard, tag: "9.9.9"}',
          'replicas: 2',
          'controllerName: example.com/gateway',
          'logLevel: debug',
          'shutdownTimeoutSeconds: 10',
          'terminationGracePeriodSeconds: 15',
          'xds: {port: 18001, service: {type: LoadBalancer, port: 443, annotations: {example.com/lb: internal}}}',
          'agentgatewayXds: {port: 18002, service: {port: 444}}',
          'inspector: {enabled: true, address: "0.0.0.0:9901", tokenSecret: {name: inspector-token, key: t}}',
          'resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 128Mi}}',
          'env: [{name: SWITCHYARD_GCP_STS_ENDPOINT, value: "https://sts-gateways.p.googleapis.com"}]',
          'extproc: {enabled: true, replicas: 3, port: 1064, poolSize: 64, workers: 2, logLevel: warn}',
          'mcp: {enabled: true, port: 1065, poolSize: 32, sessionIdleTimeoutSeconds: 600, logLevel: warn}',
          'nodeSelector: {kubernetes.io/os: linux}',
          'tolerations: [{key: dedicated, operator: Equal, value: gateways, effect: NoSchedule}]',
          'affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms:',
          '  [{matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}]}]}}}',
        ].join('\n'),
      );
      const { code, objects, stderr } = await render(['--namespace', kube.namespace, '-f', values]);
      expect(code, stderr).toBe(0);
      const deployment = find(objects, 'Deployment', 'switchyard');
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      expect(deployment.spec.replicas).toBe(2);
      expect(container.image).toBe('registry.example/switchyard:9.9.9');
      expect(container.args).toEqual([
        'controller',
        '--controller-name=example.com/gateway',
        '--http-address=0.0.0.0:8081',
        '--xds-address=0.0.0.0:18001',
        '--agentgateway-xds-address=0.0.0.0:18002',
        '--inspector=0.0.0.0:9901',
        '--log-level=debug',
        '--shutdown-timeout=10',
        `--data-plane-xds-address=switchyard.${kube.namespace}.svc:443`,
        `--agentgateway-data-plane-xds-address=switchyard.${kube.namespace}.svc:444`,
        `--leader-election-namespace=${kube.namespace}`,
        `--extproc-config-secret=${kube.namespace}/switchyard-extproc-config`,
        `--extproc-address=switchyard-extproc.${kube.namespace}.svc:1064`,
        `--mcp-config-secret=${kube.namespace}/switchyard-mcp-config`,
        `--mcp-address=switchyard-mcp.${kube.namespace}.svc:1065`,
      ]);
      const mcp = find(objects, 'Deployment', 'switchyard-mcp');
      expect(mcp.spec.template.spec.containers[0].args).toEqual([
        'mcp',
        '--listen=0.0.0.0:1065',
        '--config=/etc/switchyard/mcp/mcp.yaml',
        '--pool-size=32',
        '--session-idle-timeout=600',
        '--log-level=warn',
        '--http-address=0.0.0.0:8081',
      ]);
      const extproc = find(objects, 'Deployment', 'switchyard-extproc');
      expect(extproc.spec.replicas).toBe(3);
      expect(extproc.spec.template.spec.containers[0].image).toBe('registry.example/switchyard:9.9.9');
      expect(extproc.spec.template.spec.containers[0].args).toEqual([
        'extproc',
        '--listen=0.0.0.0:1064',
        '--config=/etc/switchyard/extproc/extproc.yaml',
        '--pool-size=64',
        '--log-level=warn',
        '--workers=2',
        '--http-address=0.0.0.0:8081',
      ]);
      expect(extProcPodProblems(extproc.spec.template.spec, 'switchyard-extproc-config')).toEqual([]);
      expect(find(objects, 'Service', 'switchyard-extproc').spec.ports[0].port).toBe(1064);
      expect(container.env).toEqual([
        {
          name: 'SWITCHYARD_INSPECTOR_TOKEN',
          valueFrom: { secretKeyRef: { name: 'inspector-token', key: 't' } },
        },
        { name: 'SWITCHYARD_GCP_STS_ENDPOINT', value: 'https://sts-gateways.p.googleapis.com' },
      ]);
      expect(pod.terminationGracePeriodSeconds).toBe(15);
      expect(container.resources).toEqual({
        requests: { cpu: '50m', memory: '64Mi' },
        limits: { memory: '128Mi' },
      });
      expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
      expect(pod.tolerations).toHaveLength(1);
      expect(pod.affinity.nodeAffinity).toBeDefined();
      const service = find(objects, 'Service', 'switchyard');
      expect(service.spec.type).toBe('LoadBalancer');
      expect(service.metadata?.annotations).toEqual({ 'example.com/lb': 'internal' });
      expect(service.spec.ports[0]).toMatchObject({ port: 443, targetPort: 'xds' });
      expect(service.spec.ports[1]).toMatchObject({ port: 444, targetPort: 'agw-xds' });
      expect(
        objects.every((o) => o.kind?.startsWith('Cluster') || o.metadata?.namespace === kube.namespace),
      ).toBe(true);
      await serverSideApply(kube.kubeConfig, objects, { dryRun: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  600_000,
);

it('refuses settings the controller would refuse', async () => {
  const exposed = await render([
    '--set',
    'inspector.enabled=true',
    '--set',
    'inspector.address=0.0.0.0:9901',
  ]);
  expect(exposed.code).not.toBe(0);
  expect(exposed.stderr).toContain('set inspector.tokenSecret.name');
  const late = await render(['--set', 'shutdownTimeoutSeconds=30']);
  expect(late.code).not.toBe(0);
  expect(late.stderr).toContain('shutdownTimeoutSeconds must be below terminationGracePeriodSeconds');
}, 600_000);

kubeTest(
  'with rateLimit.enabled, runs the rate limit service fed by the controller over xDS and a Redis, and points Envoy at it',
  async ({ kube }) => {
    const { code, objects, stderr } = await render([
      '--namespace',
      kube.namespace,
      '--set',
      'rateLimit.enabled=true',
    ]);
    expect(code, stderr).toBe(0);
    const controller = find(objects, 'Deployment', 'switchyard').spec.template.spec.containers[0];
    expect(controller.args).toContain(`--ratelimit-address=switchyard-ratelimit.${kube.namespace}.svc:8081`);
    expect(controller.args).not.toContain('--ratelimit-fail-closed');
    const deployment = find(objects, 'Deployment', 'switchyard-ratelimit');
    const container = deployment.spec.template.spec.containers[0];
    // The image of the commit the tests build the service from.
    expect(container.image).toBe(`docker.io/envoyproxy/ratelimit:${RATELIMIT_IMAGE_TAG}`);
    const env = Object.fromEntries(
      (container.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]),
    );
    // As the tests run it (test/harness/ratelimit): its configuration over xDS from the controller's Service, under a
    // node id the controller knows as the rate limit service, counters in the chart's Redis.
    expect(env).toMatchObject({
      CONFIG_TYPE: 'GRPC_XDS_SOTW',
      CONFIG_GRPC_XDS_SERVER_URL: `switchyard.${kube.namespace}.svc:18000`,
      REDIS_SOCKET_TYPE: 'tcp',
      REDIS_URL: `switchyard-redis.${kube.namespace}.svc:6379`,
      GRPC_PORT: '8081',
      USE_STATSD: 'false',
      FORCE_START_WITHOUT_INITIAL_CONFIG: 'true',
    });
    expect(env.CONFIG_GRPC_XDS_NODE_ID?.startsWith(RATE_LIMIT_NODE_PREFIX)).toBe(true);
    const service = find(objects, 'Service', 'switchyard-ratelimit');
    expect(service.spec.ports[0]).toMatchObject({ port: 8081, targetPort: 'grpc-ratelimit' });
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    const redis = find(objects, 'Deployment', 'switchyard-redis');
    expect(find(objects, 'Service', 'switchyard-redis').spec.selector).toEqual(
      redis.spec.selector.matchLabels,
    );
    await serverSideApply(kube.kubeConfig, objects, { dryRun: true });

    // An existing Redis, and fail closed: no Redis of the chart's.
    const existing = await render([
      '--namespace',
      kube.namespace,
      '--set',
      'rateLimit.enabled=true,rateLimit.failClosed=true,rateLimit.redis.url=redis.example:6379',
    ]);
    expect(existing.code, existing.stderr).toBe(0);
    expect(existing.objects.filter((o) => o.metadata?.name === 'switchyard-redis')).toEqual([]);
    const ratelimitEnv = find(existing.objects, 'Deployment', 'switchyard-ratelimit').spec.template.spec
      .containers[0].env as { name: string; value?: string }[];
    expect(ratelimitEnv.find((e) => e.name === 'REDIS_URL')?.value).toBe('redis.example:6379');
    expect(
      find(existing.objects, 'Deployment', 'switchyard').spec.template.spec.containers[0].args,
    ).toContain('--ratelimit-fail-closed');
  },
  600_000,
);
