// `kubeTest`: a Vitest test with a `kube` fixture — a client config for the run's kube-apiserver and a
// namespace of its own, created before the test and deleted after it.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject, test } from 'vitest';
import './provided-context.ts';

export interface KubeFixture {
  kubeConfig: KubeConfig;
  /** A fresh namespace for this test only. */
  namespace: string;
}

export function runKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(inject('kubeconfig'));
  return kubeConfig;
}

export const kubeTest = test.extend<{ kube: KubeFixture }>({
  kube: async ({ task }, use) => {
    const kubeConfig = runKubeConfig();
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const created = await core.createNamespace({
      body: {
        metadata: {
          generateName: 'test-',
          labels: {
            'switchyard.dev/test-file': label(task.file.name),
            'switchyard.dev/test': label(task.name),
          },
        },
      },
    });
    const namespace = created.metadata!.name!;
    await use({ kubeConfig, namespace });
    // Without a controller manager it stays Terminating, which still keeps later tests out of it.
    await core.deleteNamespace({ name: namespace });
  },
});

// Label values: at most 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric.
function label(text: string): string {
  return text
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
