// One etcd member on loopback with throw-away data, for the test run's kube-apiserver.
import { join } from 'node:path';
import { freeLoopbackPort } from './loopback-port.ts';
import { type ManagedProcess, startManagedProcess } from './managed-process.ts';

export interface RunningEtcd {
  readonly clientUrl: string;
  readonly process: ManagedProcess;
}

export async function startEtcd(binary: string, workDir: string): Promise<RunningEtcd> {
  const clientUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
  const peerUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
  const etcd = startManagedProcess(
    'etcd',
    binary,
    [
      '--name=switchyard-test',
      `--data-dir=${join(workDir, 'etcd-data')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=switchyard-test=${peerUrl}`,
      // The data is thrown away after the run; skipping fsync keeps a shared disk from slowing every write.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    join(workDir, 'etcd.log'),
  );
  try {
    await etcd.waitUntil(async () => {
      const response = await fetch(`${clientUrl}/health`);
      return response.ok && ((await response.json()) as { health?: string }).health === 'true';
    }, 60_000);
  } catch (error) {
    await etcd.stop();
    throw error;
  }
  return { clientUrl, process: etcd };
}
