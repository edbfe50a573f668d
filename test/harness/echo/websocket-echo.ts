// The WebSocket echo backend: each message is recorded with the upgrade request it came on (path, host,
// headers) and answered with a message holding the JSON of what the backend saw.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { closerFor } from './close-server.ts';
import { type EchoServer, plainHeaders, SeenLog } from './seen-request.ts';

export async function startWebSocketEcho(backend: string): Promise<EchoServer> {
  const log = new SeenLog();
  // Plain HTTP requests that are not upgrades get a 426, so a misrouted request is visible.
  const server = createServer((_request, response) => response.writeHead(426).end());
  const sockets = new WebSocketServer({ server });
  sockets.on('connection', (socket, upgrade) => {
    socket.on('message', (data) => {
      const seen = log.add({
        backend,
        protocol: 'websocket',
        method: upgrade.method ?? '',
        path: upgrade.url ?? '',
        host: upgrade.headers.host ?? '',
        headers: plainHeaders(upgrade.headers),
        body: messageText(data),
      });
      socket.send(JSON.stringify(seen));
    });
  });
  const close = closerFor(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    backend,
    protocol: 'websocket',
    port,
    address: `127.0.0.1:${port}`,
    seen: log.seen,
    waitForSeen: (count, timeoutMs) => log.waitForSeen(count, timeoutMs),
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await close();
    },
  };
}

function messageText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}
