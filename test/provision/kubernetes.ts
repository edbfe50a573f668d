// Kubernetes commands (kube-apiserver, kube-controller-manager) built from the k8s.io/kubernetes module. That
// module points its staging modules (k8s.io/api, k8s.io/apiserver, …) at ./staging with v0.0.0 requirements,
// which only work inside its own repository, so the build module pins each of them to the matching published
// v0.x release. Both commands use the same module set and flags, so the second build reuses the Go build
// cache entries of the first (kube-controller-manager shares about 85 % of its packages with kube-apiserver).
import { downloadGoModule, provisionGoBinary } from './go-binary.ts';

export const KUBERNETES_VERSION = 'v1.37.2';

export function provisionKubeApiserver(): Promise<string> {
  return provisionKubernetesCommand('kube-apiserver');
}

export function provisionKubeControllerManager(): Promise<string> {
  return provisionKubernetesCommand('kube-controller-manager');
}

async function provisionKubernetesCommand(command: string): Promise<string> {
  const { goMod } = await downloadGoModule(command, 'k8s.io/kubernetes', KUBERNETES_VERSION);
  const [, minor, patch] = KUBERNETES_VERSION.slice(1).split('.');
  const stagingVersion = `v0.${minor}.${patch}`;
  const replace = Object.fromEntries(stagingModules(goMod).map((module) => [module, stagingVersion]));
  return provisionGoBinary({
    part: command,
    version: KUBERNETES_VERSION,
    mainPackage: `k8s.io/kubernetes/cmd/${command}`,
    require: { 'k8s.io/kubernetes': KUBERNETES_VERSION },
    replace,
    // What a release build stamps in; without it the server reports v0.0.0 to discovery clients.
    linkerValues: {
      'k8s.io/component-base/version.gitVersion': KUBERNETES_VERSION,
      'k8s.io/component-base/version.gitMajor': '1',
      'k8s.io/component-base/version.gitMinor': minor ?? '',
      'k8s.io/component-base/version.gitTreeState': 'clean',
    },
  });
}

function stagingModules(goMod: string): string[] {
  return [...goMod.matchAll(/^\s*(\S+)\s+=>\s+\.\/staging\/src\//gm)].map((match) => match[1]!);
}
