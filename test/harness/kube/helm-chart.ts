// A Helm chart's objects as `helm template` renders them with the chart's default values, each named by
// the template it came from. CRDs in the chart's crds/ folder are plain manifests and are read as such.
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ProvisionError, runCommand } from '../../provision/cache.ts';
import { provisionHelm } from '../../provision/helm.ts';

export async function renderHelmChart(
  chartDir: string,
  namespace: string,
): Promise<{ template: string; object: KubernetesObject }[]> {
  const helm = await provisionHelm();
  const rendered = await runCommand(helm, ['template', 'switchyard', chartDir, '--namespace', namespace]);
  if (rendered.code !== 0) throw new Error(`helm template ${chartDir} failed: ${rendered.stderr.trim()}`);
  return parseAllDocuments(rendered.stdout).flatMap((document) => {
    if (document.errors.length > 0)
      throw new ProvisionError('helm', `unreadable output: ${document.errors[0]!.message}`);
    const object = document.toJS() as KubernetesObject | null;
    // helm marks each document with "# Source: <chart>/templates/<file>".
    const template = /Source: (\S+)/.exec(document.contents?.commentBefore ?? '')?.[1] ?? chartDir;
    return object ? [{ template, object }] : [];
  });
}
