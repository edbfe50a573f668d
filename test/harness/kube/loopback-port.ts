// A free TCP port on 127.0.0.1, for servers (etcd, kube-apiserver) that must be told their port up front.
//
// Chosen below the kernel's ephemeral range: a port taken there (listen on port 0) and released again can be handed
// by the kernel to any outgoing connection opened before the server binds it — which, with a whole suite opening
// connections, happened (etcd: "bind: address already in use"). Below the range only another listener can take
// it, and every listener of the suite either binds port 0 (inside the range) or comes through here.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Below this no port is picked: well-known and registered services live there. */
const LOWEST = 10_000;
const ATTEMPTS = 100;

export async function freeLoopbackPort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  for (let attempt = 0; attempt < ATTEMPTS && ephemeralLow > LOWEST; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (ephemeralLow - LOWEST));
    if (await canListen(port)) return port;
  }
  // No room below the range (or all tried were taken): the kernel's pick, with the race described above.
  return listen(0);
}

/** The kernel's ephemeral port range (Linux), or the IANA range where it cannot be read. */
function ephemeralRange(): [number, number] {
  try {
    const [low = Number.NaN, high = Number.NaN] = readFileSync(
      '/proc/sys/net/ipv4/ip_local_port_range',
      'utf8',
    )
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {}
  return [49_152, 65_535];
}

async function canListen(port: number): Promise<boolean> {
  return listen(port).then(
    () => true,
    () => false,
  );
}

/** Listens on `port` of 127.0.0.1 and closes again; the port it got. */
function listen(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (bound > 0 ? resolve(bound) : reject(new Error('no port assigned'))));
    });
  });
}
