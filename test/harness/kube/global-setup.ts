// Vitest global setup of the integration project: one etcd + kube-apiserver per test run, on loopback with
// random ports and temporary data, with the Gateway API, InferencePool and our own CRDs installed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { TestProject } from 'vitest/node';
import { ProvisionError } from '../../provision/cache.ts';
import { provisionEtcd } from '../../provision/etcd.ts';
import { provisionUpstreamCrdFiles } from '../../provision/gateway-api-crds.ts';
import { provisionKubeApiserver } from '../../provision/kubernetes.ts';
import { DEPLOY_DIR, readDeployManifests } from './deploy-manifests.ts';
import { installCrds } from './install-crds.ts';
import { readManifests } from './manifests.ts';
import './provided-context.ts';
import { type RunningEtcd, startEtcd } from './start-etcd.ts';
import { type RunningKubeApiserver, startKubeApiserver } from './start-kube-apiserver.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [etcdBinary, apiserverBinary, upstreamCrdFiles] = await Promise.all([
    provisionEtcd(),
    provisionKubeApiserver(),
    provisionUpstreamCrdFiles(),
  ]);
  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-kube-'));
  let etcd: RunningEtcd | undefined;
  let apiserver: RunningKubeApiserver | undefined;
  const teardown = async () => {
    await apiserver?.process.stop();
    await etcd?.process.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    etcd = await startEtcd(etcdBinary, workDir).catch((error: Error) => {
      throw new ProvisionError('etcd', error.message);
    });
    apiserver = await startKubeApiserver(apiserverBinary, etcd.clientUrl, workDir).catch((error: Error) => {
      throw new ProvisionError('kube-apiserver', error.message);
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(apiserver.kubeconfigPath);
    const ownCrds = readDeployManifests(DEPLOY_DIR)
      .objects.map(({ object }) => object)
      .filter((object) => object.kind === 'CustomResourceDefinition');
    await installCrds(kubeConfig, [...upstreamCrdFiles.flatMap(readManifests), ...ownCrds]).catch(
      (error: Error) => {
        throw new ProvisionError('CRDs', error.message);
      },
    );
    project.provide('kubeconfig', apiserver.kubeconfigPath);
    return teardown;
  } catch (error) {
    await teardown();
    throw error;
  }
}
