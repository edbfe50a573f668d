// The TCP echo backend: line-oriented, so that answers do not depend on how bytes were split in transit.
// Each line received is recorded and answered with one JSON line of what the backend saw.
import { type AddressInfo, createServer } from 'node:net';
import { closerFor } from './close-server.ts';
import { type EchoServer, SeenLog } from './seen-request.ts';

export async function startTcpEcho(backend: string): Promise<EchoServer> {
  const log = new SeenLog();
  const server = createServer((socket) => {
    let pending = '';
    const answer = (line: string) => {
      const seen = log.add({
        backend,
        protocol: 'tcp',
        method: '',
        path: '',
        host: '',
        headers: {},
        body: line,
      });
      socket.write(`${JSON.stringify(seen)}\n`);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        answer(pending.slice(0, end));
        pending = pending.slice(end + 1);
      }
    });
    socket.on('end', () => {
      if (pending !== '') answer(pending);
      socket.end();
    });
    socket.on('error', () => socket.destroy());
  });
  const close = closerFor(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    backend,
    protocol: 'tcp',
    port,
    address: `127.0.0.1:${port}`,
    seen: log.seen,
    waitForSeen: (count, timeoutMs) => log.waitForSeen(count, timeoutMs),
    close,
  };
}
