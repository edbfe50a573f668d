// The manifests under deploy/ that a user applies to a cluster, for the dry-run check and for installing the
// CRDs we own. Files read by tools rather than by the API server are set apart by their API group, by name.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { readManifests } from './manifests.ts';

export const DEPLOY_DIR = fileURLToPath(new URL('../../../deploy', import.meta.url));

/** Configuration for kind and kustomize, not objects for the API server. */
const TOOL_CONFIG_GROUPS = ['kind.x-k8s.io', 'kustomize.config.k8s.io'];

export interface DeployManifests {
  root: string;
  /** Plain objects for the API server in file order (a chart's crds/ included), with their file under root. */
  objects: { file: string; object: KubernetesObject }[];
  /** Helm chart folders under root: their templates are manifests only once rendered. */
  charts: string[];
}

export function readDeployManifests(root: string): DeployManifests {
  const result: DeployManifests = { root, objects: [], charts: [] };
  if (existsSync(root)) collect(root, root, result);
  return result;
}

function collect(root: string, dir: string, result: DeployManifests): void {
  const isChart = existsSync(join(dir, 'Chart.yaml'));
  if (isChart) result.charts.push(relative(root, dir) || '.');
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!isChart || entry.name === 'crds') collect(root, path, result);
    } else if (!isChart && /\.ya?ml$/.test(entry.name)) {
      for (const object of readManifests(path)) {
        if (!TOOL_CONFIG_GROUPS.includes(object.apiVersion?.split('/')[0] ?? '')) {
          result.objects.push({ file: relative(root, path), object });
        }
      }
    }
  }
}
