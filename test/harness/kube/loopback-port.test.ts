import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { freeLoopbackPort } from './loopback-port.ts';

it("picks a port no outgoing connection can be given: below the kernel's ephemeral range, and free", async () => {
  const [low = 0] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  const port = await freeLoopbackPort();
  expect(port).toBeGreaterThanOrEqual(10_000);
  expect(port).toBeLessThan(low);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  await new Promise((resolve) => server.close(resolve));
});
