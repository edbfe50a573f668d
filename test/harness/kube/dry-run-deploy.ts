// The deploy/ check: every manifest, and every Helm chart as rendered with its default values, goes through
// a server-side dry-run apply, so the API server's own validation (schemas, CRD rules, RBAC references)
// judges it. Namespaces are created for real, since a dry run of the objects inside them needs them.
import { join } from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { DeployManifests } from './deploy-manifests.ts';
import { renderHelmChart } from './helm-chart.ts';
import { serverSideApply } from './server-side-apply.ts';

/** Resolves when every object is accepted; otherwise rejects naming each rejected file and object. */
export async function dryRunApplyDeployManifests(
  kubeConfig: KubeConfig,
  manifests: DeployManifests,
  options: { chartNamespace: string } = { chartNamespace: 'switchyard-system' },
): Promise<void> {
  const sourced: { file: string; object: KubernetesObject }[] = [...manifests.objects];
  for (const chart of manifests.charts) {
    const rendered = await renderHelmChart(join(manifests.root, chart), options.chartNamespace);
    sourced.push(...rendered.map(({ template, object }) => ({ file: template, object })));
  }
  const namespaces = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.chartNamespace } },
    ...sourced.map(({ object }) => object).filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1'),
  ];
  await serverSideApply(kubeConfig, manifests.charts.length > 0 ? namespaces : namespaces.slice(1));

  const failures: string[] = [];
  for (const { file, object } of sourced) {
    try {
      await serverSideApply(kubeConfig, [object], { dryRun: true });
    } catch (error) {
      failures.push(`${file}: ${object.kind} ${object.metadata?.name}: ${describe(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`deploy/ manifests rejected:\n${failures.join('\n')}`);
}

function describe(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return error instanceof Error ? error.message : String(error);
}
