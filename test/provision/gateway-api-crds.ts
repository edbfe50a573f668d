// The upstream CRDs installed in the test API server, read from the published Go modules at test time so
// that none of their YAML lives in this repository.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GATEWAY_API, INFERENCE_POOL } from '../../sources/files/crd-validation/upstream-crds.ts';
import { ProvisionError } from './cache.ts';
import { downloadGoModule } from './go-binary.ts';

// The releases files mode checks objects against by default: the tests install the same.
export const GATEWAY_API_VERSION = GATEWAY_API.version;
export const INFERENCE_EXTENSION_VERSION = INFERENCE_POOL.version;

/** Paths of the YAML files: the Gateway API experimental channel and the Inference Extension's InferencePool. */
export async function provisionUpstreamCrdFiles(): Promise<string[]> {
  const gatewayApi = await downloadGoModule(
    'Gateway API CRDs',
    'sigs.k8s.io/gateway-api',
    GATEWAY_API_VERSION,
  );
  const experimental = join(gatewayApi.dir, 'config', 'crd', 'experimental');
  const inference = await downloadGoModule(
    'InferencePool CRD',
    'sigs.k8s.io/gateway-api-inference-extension',
    INFERENCE_EXTENSION_VERSION,
  );
  return [
    ...kustomizationResources('Gateway API CRDs', experimental),
    join(inference.dir, 'config', 'crd', 'bases', 'inference.networking.k8s.io_inferencepools.yaml'),
  ];
}

// The channel's kustomization lists what upstream installs, so new CRDs in a version bump come along.
function kustomizationResources(part: string, dir: string): string[] {
  try {
    const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as {
      resources?: string[];
    };
    if (!kustomization.resources?.length) throw new Error('it lists no resources');
    return kustomization.resources.map((resource) => join(dir, resource));
  } catch (error) {
    throw new ProvisionError(part, `cannot read ${dir}/kustomization.yaml: ${(error as Error).message}`);
  }
}
