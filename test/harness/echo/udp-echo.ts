// The UDP echo backend: each datagram is recorded and answered with one datagram holding the JSON of
// what the backend saw.
import { createSocket } from 'node:dgram';
import { type EchoServer, SeenLog } from './seen-request.ts';

export async function startUdpEcho(backend: string): Promise<EchoServer> {
  const log = new SeenLog();
  const socket = createSocket('udp4');
  socket.on('message', (datagram, sender) => {
    const body = datagram.toString('utf8');
    const seen = log.add({ backend, protocol: 'udp', method: '', path: '', host: '', headers: {}, body });
    socket.send(JSON.stringify(seen), sender.port, sender.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', resolve);
  });
  const { port } = socket.address();
  return {
    backend,
    protocol: 'udp',
    port,
    address: `127.0.0.1:${port}`,
    seen: log.seen,
    waitForSeen: (count, timeoutMs) => log.waitForSeen(count, timeoutMs),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
