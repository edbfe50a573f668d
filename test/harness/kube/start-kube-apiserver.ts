// kube-apiserver over the run's etcd, with a self-signed serving certificate and one static admin token. By
// default on loopback with no controller manager (namespaces stay Terminating, nothing is garbage-collected);
// a local cluster (test/harness/cluster) puts it on its bridge address instead, where pods reach it too.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freeLoopbackPort } from './loopback-port.ts';
import { type ManagedProcess, startManagedProcess } from './managed-process.ts';

export interface RunningKubeApiserver {
  readonly url: string;
  /** A kubeconfig for a `system:masters` user; current context points at this server. */
  readonly kubeconfigPath: string;
  readonly process: ManagedProcess;
}

export interface KubeApiserverOptions {
  /** The address to serve on and advertise (default 127.0.0.1); not loopback → the `kubernetes` Service has it as endpoint. */
  readonly address?: string;
  readonly port?: number;
  readonly serviceClusterIpRange?: string;
}

export async function startKubeApiserver(
  binary: string,
  etcdUrl: string,
  workDir: string,
  options: KubeApiserverOptions = {},
): Promise<RunningKubeApiserver> {
  const address = options.address ?? '127.0.0.1';
  const port = options.port ?? (await freeLoopbackPort());
  const url = `https://${address}:${port}`;
  const certDir = join(workDir, 'pki');
  mkdirSync(certDir, { recursive: true });
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(workDir, 'tokens.csv');
  writeFileSync(tokenFile, `${token},switchyard-test-admin,switchyard-test-admin,"system:masters"\n`, {
    mode: 0o600,
  });
  const serviceAccountKey = join(certDir, 'service-account.key');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(serviceAccountKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

  const apiserver = startManagedProcess(
    'kube-apiserver',
    binary,
    [
      `--etcd-servers=${etcdUrl}`,
      `--bind-address=${address}`,
      `--advertise-address=${address}`,
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${serviceAccountKey}`,
      `--service-account-signing-key-file=${serviceAccountKey}`,
      `--service-cluster-ip-range=${options.serviceClusterIpRange ?? '10.96.0.0/16'}`,
      // Endpoints for the `kubernetes` Service would carry the loopback address, which the API rejects.
      ...(address === '127.0.0.1'
        ? ['--endpoint-reconciler-type=none']
        : // The node agent's Node has no resolvable hostname: pods/log goes to its InternalIP.
          ['--kubelet-preferred-address-types=InternalIP']),
      '--enable-priority-and-fairness=false',
      '--profiling=false',
    ],
    join(workDir, 'kube-apiserver.log'),
  );
  const servingCert = join(certDir, 'apiserver.crt');
  try {
    await apiserver.waitUntil(
      async () =>
        existsSync(servingCert) &&
        (await getStatus(`${url}/readyz`, readFileSync(servingCert), token)) === 200,
      120_000,
    );
  } catch (error) {
    await apiserver.stop();
    throw error;
  }
  const kubeconfigPath = join(workDir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(url, readFileSync(servingCert), token), { mode: 0o600 });
  return { url, kubeconfigPath, process: apiserver };
}

function kubeconfig(server: string, ca: Buffer, token: string): string {
  const name = 'switchyard-test';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': ca.toString('base64') } }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  });
}

function getStatus(url: string, ca: Buffer, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
