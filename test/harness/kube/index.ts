// The real Kubernetes API for integration tests. The global setup (global-setup.ts, wired in
// vitest.config.ts) runs one etcd + kube-apiserver per test run; tests reach it through these.
export { DEPLOY_DIR, type DeployManifests, readDeployManifests } from './deploy-manifests.ts';
export { dryRunApplyDeployManifests } from './dry-run-deploy.ts';
export { type KubeFixture, kubeTest, runKubeConfig } from './kube-test.ts';
export { readManifests } from './manifests.ts';
export { serverSideApply, TEST_FIELD_MANAGER } from './server-side-apply.ts';
