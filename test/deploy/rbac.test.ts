// The RBAC of deploy/manifests is enough, and no more than enough: the real `switchyard controller`, running
// with the ServiceAccount's own token, lists and watches every kind (it turns ready) and writes statuses, while
// the API server refuses it writes to anything else.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { expect, inject } from 'vitest';
import { parse, stringify } from 'yaml';
import { KubeClient } from '../../sources/kubernetes/client.ts';
import {
  DEFAULT_EXTPROC_CONFIG_SECRET,
  DEFAULT_MCP_CONFIG_SECRET,
  kubernetesConfigSecretWriter,
  kubernetesExtProcConfigWriter,
  MCP_CONFIG_SECRET_KIND,
} from '../../sources/kubernetes/extproc-config-writer.ts';
import { DEPLOY_DIR, kubeTest, readManifests, serverSideApply } from '../harness/kube/index.ts';
import { freeLoopbackPort } from '../harness/kube/loopback-port.ts';
import { startManagedProcess } from '../harness/kube/managed-process.ts';

const CLI = fileURLToPath(new URL('../../cli/switchyard.ts', import.meta.url));
const SERVICE_ACCOUNT = 'system:serviceaccount:switchyard-system:switchyard';
const GATEWAY_API = 'gateway.networking.k8s.io';

kubeTest(
  'the controller runs on its ServiceAccount alone, and can write nothing but status and provisioned kinds',
  async ({ kube }) => {
    // The namespace, the ServiceAccount and its RBAC, for real.
    const identity = ['00-namespace', '01-serviceaccount', '02-rbac'].flatMap((file) =>
      readManifests(join(DEPLOY_DIR, 'manifests', `${file}.yaml`)),
    );
    await serverSideApply(kube.kubeConfig, identity);

    const allowed = async (attributes: V1ResourceAttributes) => {
      const review = await kube.kubeConfig.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
        body: { spec: { user: SERVICE_ACCOUNT, resourceAttributes: attributes } },
      });
      return review.status?.allowed === true;
    };
    const ns = kube.namespace;
    expect(
      await allowed({
        group: GATEWAY_API,
        resource: 'httproutes',
        subresource: 'status',
        verb: 'patch',
        namespace: ns,
      }),
    ).toBe(true);
    expect(
      await allowed({ group: GATEWAY_API, resource: 'gatewayclasses', subresource: 'status', verb: 'patch' }),
    ).toBe(true);
    expect(await allowed({ group: GATEWAY_API, resource: 'httproutes', verb: 'patch', namespace: ns })).toBe(
      false,
    );
    expect(await allowed({ group: GATEWAY_API, resource: 'gateways', verb: 'delete', namespace: ns })).toBe(
      false,
    );
    expect(
      await allowed({
        group: GATEWAY_API,
        resource: 'referencegrants',
        subresource: 'status',
        verb: 'patch',
        namespace: ns,
      }),
    ).toBe(false);
    expect(await allowed({ resource: 'secrets', verb: 'list', namespace: ns })).toBe(true);
    expect(await allowed({ resource: 'secrets', verb: 'create', namespace: ns })).toBe(false);
    // Pods are read as InferencePool members, never written.
    expect(await allowed({ resource: 'pods', verb: 'list', namespace: ns })).toBe(true);
    expect(await allowed({ resource: 'pods', verb: 'create', namespace: ns })).toBe(false);
    expect(
      await allowed({
        group: 'inference.networking.k8s.io',
        resource: 'inferencepools',
        subresource: 'status',
        verb: 'patch',
        namespace: ns,
      }),
    ).toBe(true);
    expect(
      await allowed({
        group: 'inference.networking.k8s.io',
        resource: 'inferencepools',
        verb: 'patch',
        namespace: ns,
      }),
    ).toBe(false);
    expect(
      await allowed({ group: 'switchyard.dev', resource: 'gatewayclassparameters', verb: 'update' }),
    ).toBe(false);
    expect(await allowed({ group: 'apps', resource: 'deployments', verb: 'create', namespace: ns })).toBe(
      true,
    );
    expect(await allowed({ group: 'apps', resource: 'daemonsets', verb: 'create', namespace: ns })).toBe(
      false,
    );
    expect(await allowed({ resource: 'services', verb: 'patch', namespace: ns })).toBe(true);
    expect(
      await allowed({
        group: 'coordination.k8s.io',
        resource: 'leases',
        verb: 'update',
        namespace: 'switchyard-system',
      }),
    ).toBe(true);
    expect(
      await allowed({ group: 'coordination.k8s.io', resource: 'leases', verb: 'update', namespace: ns }),
    ).toBe(false);

    // The ext_proc configuration Secret: one name, in the controller's namespace, create (by server-side
    // apply) and patch only.
    const configSecret = { resource: 'secrets', namespace: 'switchyard-system' };
    for (const verb of ['create', 'patch'])
      expect(await allowed({ ...configSecret, verb, name: DEFAULT_EXTPROC_CONFIG_SECRET })).toBe(true);
    for (const verb of ['update', 'delete'])
      expect(await allowed({ ...configSecret, verb, name: DEFAULT_EXTPROC_CONFIG_SECRET })).toBe(false);
    expect(await allowed({ ...configSecret, verb: 'patch', name: 'switchyard-other' })).toBe(false);
    expect(await allowed({ ...configSecret, verb: 'create' })).toBe(false);
    expect(
      await allowed({
        resource: 'secrets',
        verb: 'patch',
        namespace: ns,
        name: DEFAULT_EXTPROC_CONFIG_SECRET,
      }),
    ).toBe(false);

    // The MCP proxy configuration Secret likewise.
    for (const verb of ['create', 'patch'])
      expect(await allowed({ ...configSecret, verb, name: DEFAULT_MCP_CONFIG_SECRET })).toBe(true);
    for (const verb of ['update', 'delete'])
      expect(await allowed({ ...configSecret, verb, name: DEFAULT_MCP_CONFIG_SECRET })).toBe(false);
    expect(
      await allowed({ resource: 'secrets', verb: 'patch', namespace: ns, name: DEFAULT_MCP_CONFIG_SECRET }),
    ).toBe(false);

    // The controller, with nothing but a token of the ServiceAccount.
    const token = await kube.kubeConfig.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name: 'switchyard',
      namespace: 'switchyard-system',
      body: { spec: { expirationSeconds: 3600 } },
    });
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-rbac-'));
    const kubeconfig = parse(readFileSync(inject('kubeconfig'), 'utf8')) as {
      users: { user: Record<string, unknown> }[];
    };
    for (const user of kubeconfig.users) user.user = { token: token.status?.token };
    writeFileSync(join(dir, 'kubeconfig'), stringify(kubeconfig), { mode: 0o600 });

    // The API server itself: the ServiceAccount creates the Secret by server-side apply and updates it, and is
    // refused any other Secret name or namespace.
    const asController = new KubeClient({ kubeconfig: join(dir, 'kubeconfig') });
    const target = { namespace: 'switchyard-system', name: DEFAULT_EXTPROC_CONFIG_SECRET };
    await kube.kubeConfig
      .makeApiClient(CoreV1Api)
      .deleteNamespacedSecret(target)
      .catch(() => undefined);
    await kubernetesExtProcConfigWriter(asController, target)('rules: []\n');
    await kubernetesExtProcConfigWriter(asController, target)('rules: []\nmodels: []\n');
    const written = await kube.kubeConfig.makeApiClient(CoreV1Api).readNamespacedSecret(target);
    expect(Buffer.from(written.data?.['extproc.yaml'] ?? '', 'base64').toString()).toBe(
      'rules: []\nmodels: []\n',
    );
    // The MCP proxy's Secret, applied by the controller's own writer as that ServiceAccount.
    const mcpTarget = { namespace: 'switchyard-system', name: DEFAULT_MCP_CONFIG_SECRET };
    await kubernetesConfigSecretWriter(asController, MCP_CONFIG_SECRET_KIND, mcpTarget)('routes: []\n');
    const mcpWritten = await kube.kubeConfig.makeApiClient(CoreV1Api).readNamespacedSecret(mcpTarget);
    expect(Buffer.from(mcpWritten.data?.['mcp.yaml'] ?? '', 'base64').toString()).toBe('routes: []\n');
    await expect(
      kubernetesConfigSecretWriter(asController, MCP_CONFIG_SECRET_KIND, { namespace: ns, name: 'x' })(
        'routes: []\n',
      ),
    ).rejects.toThrow(/forbidden/);
    for (const elsewhere of [
      { namespace: 'switchyard-system', name: 'switchyard-other' },
      { namespace: ns, name: DEFAULT_EXTPROC_CONFIG_SECRET },
    ]) {
      await expect(kubernetesExtProcConfigWriter(asController, elsewhere)('rules: []\n')).rejects.toThrow(
        /forbidden/,
      );
    }
    const [httpPort, xdsPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const controllerName = `switchyard.dev/rbac-${ns}`;
    const controller = startManagedProcess(
      'switchyard controller',
      process.execPath,
      [
        CLI,
        'controller',
        `--kubeconfig=${join(dir, 'kubeconfig')}`,
        `--controller-name=${controllerName}`,
        `--http-address=127.0.0.1:${httpPort}`,
        `--xds-address=127.0.0.1:${xdsPort}`,
        '--inspector=off',
        '--log-level=warn',
        '--shutdown-timeout=5',
      ],
      join(dir, 'controller.log'),
    );
    const custom = kube.kubeConfig.makeApiClient(CustomObjectsApi);
    const className = `rbac-${ns}`;
    try {
      // Ready means every kind was listed and is watched: a missing read permission keeps it unready.
      await controller.waitUntil(
        async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status === 200,
        60_000,
      );
      await custom.createClusterCustomObject({
        group: GATEWAY_API,
        version: 'v1',
        plural: 'gatewayclasses',
        body: {
          apiVersion: `${GATEWAY_API}/v1`,
          kind: 'GatewayClass',
          metadata: { name: className },
          spec: { controllerName },
        },
      });
      await custom.createNamespacedCustomObject({
        group: GATEWAY_API,
        version: 'v1',
        namespace: ns,
        plural: 'gateways',
        body: {
          apiVersion: `${GATEWAY_API}/v1`,
          kind: 'Gateway',
          metadata: { name: 'web', namespace: ns },
          spec: { gatewayClassName: className, listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
        },
      });
      const conditionOf = (object: KubernetesObject, type: string) =>
        (
          (object as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ??
          []
        ).find((condition) => condition.type === type);
      await controller.waitUntil(async () => {
        const gatewayClass = (await custom.getClusterCustomObject({
          group: GATEWAY_API,
          version: 'v1',
          plural: 'gatewayclasses',
          name: className,
        })) as KubernetesObject;
        const gateway = (await custom.getNamespacedCustomObject({
          group: GATEWAY_API,
          version: 'v1',
          namespace: ns,
          plural: 'gateways',
          name: 'web',
        })) as KubernetesObject;
        return (
          conditionOf(gatewayClass, 'Accepted')?.status === 'True' &&
          conditionOf(gateway, 'Accepted') !== undefined
        );
      }, 30_000);
      // Cluster mode by default: it took the leader Lease (in switchyard-system, which its Role allows) and
      // provisioned the Gateway's data plane with its own permissions.
      const core = kube.kubeConfig.makeApiClient(CoreV1Api);
      await controller.waitUntil(async () => {
        try {
          await core.readNamespacedService({ name: 'switchyard-web', namespace: ns });
          await core.readNamespacedConfigMap({ name: 'switchyard-web', namespace: ns });
          await core.readNamespacedServiceAccount({ name: 'switchyard-web', namespace: ns });
          return true;
        } catch {
          return false;
        }
      }, 30_000);
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toMatch(/^switchyard_leader 1$/m);
    } finally {
      await controller.stop();
      await custom
        .deleteClusterCustomObject({
          group: GATEWAY_API,
          version: 'v1',
          plural: 'gatewayclasses',
          name: className,
        })
        .catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  },
  120_000,
);
