// Every manifest under deploy/ is accepted by the real API server (server-side dry-run apply), and the check
// itself rejects what the API server rejects, in plain manifests and in Helm charts alike.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { expect, it } from 'vitest';
import {
  DEPLOY_DIR,
  dryRunApplyDeployManifests,
  kubeTest,
  readDeployManifests,
  runKubeConfig,
} from '../harness/kube/index.ts';

it('every manifest under deploy/ passes a server-side dry-run apply', async () => {
  const manifests = readDeployManifests(DEPLOY_DIR);
  // An empty deploy/ would make this check pass vacuously.
  expect(manifests.objects.map(({ object }) => `${object.kind}/${object.metadata?.name}`)).toEqual(
    expect.arrayContaining([
      'CustomResourceDefinition/gatewayclassparameters.switchyard.dev',
      'Namespace/switchyard-system',
      'ServiceAccount/switchyard',
      'ClusterRole/switchyard',
      'ClusterRoleBinding/switchyard',
      'Role/switchyard-leader-election',
      'RoleBinding/switchyard-leader-election',
      'Deployment/switchyard',
      'Service/switchyard',
    ]),
  );
  // The chart is rendered and checked too; its crds/ is deploy/crds (a link), so each CRD is read once.
  expect(manifests.charts).toEqual(['helm/switchyard']);
  expect(
    manifests.objects
      .filter(({ object }) => object.kind === 'CustomResourceDefinition')
      .map(({ file }) => file),
  ).toEqual([
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
  ]);
  await dryRunApplyDeployManifests(runKubeConfig(), manifests);
}, 600_000);

kubeTest('the check rejects an invalid manifest and persists nothing', async ({ kube }) => {
  await withFiles(
    {
      'manifests.yaml': [
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: valid, namespace: ${kube.namespace}}\ndata: {a: b}`,
        // Gateway API requires listener ports in 1–65535.
        `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: invalid, namespace: ${kube.namespace}}\n` +
          'spec: {gatewayClassName: x, listeners: [{name: http, port: 0, protocol: HTTP}]}',
      ].join('\n---\n'),
      'kind/cluster.yaml':
        'apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes: [{role: control-plane}]',
    },
    async (root) => {
      const manifests = readDeployManifests(root);
      expect(manifests.objects.map(({ object }) => object.kind)).toEqual(['ConfigMap', 'Gateway']);
      await expect(dryRunApplyDeployManifests(kube.kubeConfig, manifests)).rejects.toThrow(
        /manifests\.yaml: Gateway invalid: .*spec\.listeners\[0\]\.port/,
      );
      expect(await configMapNames(kube.kubeConfig, kube.namespace)).not.toContain('valid');
    },
  );
});

kubeTest(
  'a Helm chart is rendered by helm and its templates are checked one by one',
  async ({ kube }) => {
    await withFiles(
      {
        'chart/Chart.yaml': 'apiVersion: v2\nname: fixture\nversion: 0.1.0',
        'chart/values.yaml': 'port: 0\ngreeting: hello',
        'chart/templates/configmap.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: {{ .Release.Namespace }}}\n' +
          'data: {greeting: {{ .Values.greeting }}}',
        'chart/templates/service.yaml':
          'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: {{ .Release.Namespace }}}\n' +
          'spec: {ports: [{port: {{ .Values.port }}}]}',
        'chart/crds/widgets.yaml': [
          'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.test.switchyard.dev}',
          'spec: {group: test.switchyard.dev, scope: Namespaced, names: {plural: widgets, singular: widget, kind: Widget},',
          '  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]}',
        ].join('\n'),
      },
      async (root) => {
        const manifests = readDeployManifests(root);
        expect(manifests.charts).toEqual(['chart']);
        expect(manifests.objects.map(({ file }) => file)).toEqual(['chart/crds/widgets.yaml']);
        await expect(
          dryRunApplyDeployManifests(kube.kubeConfig, manifests, { chartNamespace: kube.namespace }),
        ).rejects.toThrow(
          /^deploy\/ manifests rejected:\nfixture\/templates\/service\.yaml: Service web: .*port/,
        );
        expect(await configMapNames(kube.kubeConfig, kube.namespace)).not.toContain('settings');
      },
    );
  },
  600_000,
);

async function withFiles(
  files: Record<string, string>,
  body: (root: string) => Promise<void>,
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'switchyard-deploy-check-'));
  try {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), content);
    }
    await body(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function configMapNames(kubeConfig: ReturnType<typeof runKubeConfig>, namespace: string) {
  const list = await kubeConfig.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace });
  return list.items.map((configMap) => configMap.metadata?.name);
}
