// A loopback TCP port that was free a moment ago, for listeners a test pushes to Envoy (which binds it
// itself). The tiny race with other processes is acceptable in tests.
import { type AddressInfo, createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
