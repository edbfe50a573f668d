// The node agent's kubelet API, as much of it as the API server's pods/log needs: GET
// /containerLogs/<namespace>/<pod>/<container> with sinceTime, sinceSeconds, tailLines and timestamps, over
// HTTPS on the node address (the API server does not verify a kubelet's certificate unless it is given a CA).
import { createServer, type Server } from 'node:https';
import { createTestCertificates } from '../echo/test-certificates.ts';
import { readLines } from './container-log.ts';

export const KUBELET_PORT = 10250;

export interface KubeletServer {
  close(): Promise<void>;
}

/** `logFile(namespace, pod, container)` names the container's log, or undefined when there is no such container. */
export async function startKubeletServer(
  address: string,
  logFile: (namespace: string, pod: string, container: string) => string | undefined,
): Promise<KubeletServer> {
  const { cert, key } = await createTestCertificates([address]);
  const server: Server = createServer({ cert, key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://node');
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not served by the switchyard node agent\n');
      return;
    }
    const [namespace, pod, container] = match.slice(1).map(decodeURIComponent) as [string, string, string];
    const file = logFile(namespace, pod, container);
    if (file === undefined) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`container ${container} of ${namespace}/${pod} not found\n`);
      return;
    }
    const sinceSeconds = url.searchParams.get('sinceSeconds');
    const sinceTime = url.searchParams.get('sinceTime');
    const tailLines = url.searchParams.get('tailLines');
    const lines = readLines(file, {
      ...(sinceTime
        ? { sinceTime: new Date(sinceTime) }
        : sinceSeconds
          ? { sinceTime: new Date(Date.now() - Number(sinceSeconds) * 1000) }
          : {}),
      ...(tailLines ? { tailLines: Number(tailLines) } : {}),
      timestamps: url.searchParams.get('timestamps') === 'true',
    });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(lines.map((line) => `${line}\n`).join(''));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(KUBELET_PORT, address, () => resolve());
  });
  return {
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
