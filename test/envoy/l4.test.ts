// TCPRoute and UDPRoute through a real Envoy: a TCP port proxied to the route's backend, a UDP port whose
// datagrams reach the UDP backend and come back.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewayIR, listener, port, route, rule, service } from '../../backends/envoy/testdata/gateway-ir.ts';
import { type EchoServer, type SeenRequest, startTcpEcho, startUdpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';

function tcpLine(port: number, line: string): Promise<SeenRequest> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${line}\n`));
    let buffer = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('TCP echo timed out')));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      socket.end();
      resolve(JSON.parse(buffer.slice(0, end)) as SeenRequest);
    });
    socket.on('error', reject);
  });
}

/** One datagram and its answer; resent a bounded number of times, as UDP may drop. */
async function udpExchange(port: number, message: string): Promise<SeenRequest> {
  const socket = createSocket('udp4');
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      const answer = new Promise<SeenRequest | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 250);
        socket.once('message', (datagram) => {
          clearTimeout(timer);
          resolve(JSON.parse(datagram.toString('utf8')) as SeenRequest);
        });
      });
      socket.send(message, port, '127.0.0.1');
      const seen = await answer;
      if (seen !== undefined) return seen;
    }
    throw new Error('no UDP answer after 20 datagrams');
  } finally {
    socket.close();
  }
}

describe('TCP and UDP through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let tcp: EchoServer;
  let udp: EchoServer;
  let heavy: EchoServer;
  let light: EchoServer;
  let tcpPort: number;
  let udpPort: number;
  let splitPort: number;

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    [tcp, udp, heavy, light, tcpPort, udpPort, splitPort] = await Promise.all([
      startTcpEcho('tcp'),
      startUdpEcho('udp'),
      startUdpEcho('heavy'),
      startUdpEcho('light'),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const ir = gatewayIR([
      port(tcpPort, [
        listener('tcp', 'TCP', [route('tcp', [rule([service('tcp', [tcp.port])])], { kind: 'TCPRoute' })]),
      ]),
      port(
        udpPort,
        [
          listener('udp', 'UDP', [
            route('udp', [rule([service('udp', [udp.port], { protocol: 'UDP' })])], { kind: 'UDPRoute' }),
          ]),
        ],
        'UDP',
      ),
      port(
        splitPort,
        [
          listener('split', 'UDP', [
            route(
              'split',
              [
                rule([
                  service('heavy', [heavy.port], { protocol: 'UDP', weight: 3 }),
                  service('light', [light.port], { protocol: 'UDP', weight: 1 }),
                ]),
              ],
              { kind: 'UDPRoute' },
            ),
          ]),
        ],
        'UDP',
      ),
    ]);
    const revision = await fixture.send(ir);
    await fixture.startEnvoy(ir.gateway, { nodeId: 'l4' });
    await fixture.waitForSynced('l4', revision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all([tcp?.close(), udp?.close(), heavy?.close(), light?.close()]);
  });

  test('proxies a TCP connection to the TCPRoute backend', async () => {
    expect(await tcpLine(tcpPort, 'over tcp')).toMatchObject({ backend: 'tcp', body: 'over tcp' });
  });

  test('proxies UDP datagrams to the UDPRoute backend and back', async () => {
    expect(await udpExchange(udpPort, 'over udp')).toMatchObject({ backend: 'udp', body: 'over udp' });
  });

  test('splits UDP sessions across weighted backends (3:1)', async () => {
    // Each exchange uses a new socket, so a new session for which Envoy picks an upstream host.
    const counts: Record<string, number> = {};
    for (let i = 0; i < 80; i++) {
      const { backend } = await udpExchange(splitPort, `session ${i}`);
      counts[backend] = (counts[backend] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['heavy', 'light']);
    // 3:1 of 80 → 60 ± 20 (over four standard deviations).
    expect(counts.heavy).toBeGreaterThan(40);
    expect(counts.heavy).toBeLessThan(78);
  });
});
