// helm, built from its Go module, to render the Helm chart under deploy/ for the manifest check.
import { provisionGoBinary } from './go-binary.ts';

export const HELM_VERSION = 'v4.3.1';

export function provisionHelm(): Promise<string> {
  return provisionGoBinary({
    part: 'helm',
    version: HELM_VERSION,
    mainPackage: 'helm.sh/helm/v4/cmd/helm',
    require: { 'helm.sh/helm/v4': HELM_VERSION },
    linkerValues: { 'helm.sh/helm/v4/internal/version.version': HELM_VERSION },
  });
}
