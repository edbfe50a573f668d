import { createSocket } from 'node:dgram';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import {
  createTestCertificates,
  type EchoServer,
  echoGrpcClient,
  type SeenRequest,
  startGrpcEcho,
  startH2cEcho,
  startHttpEcho,
  startHttpsEcho,
  startTcpEcho,
  startUdpEcho,
  startWebSocketEcho,
} from '../harness/echo/index.ts';

const servers: EchoServer[] = [];
async function started(server: Promise<EchoServer>): Promise<EchoServer> {
  servers.push(await server);
  return servers.at(-1)!;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  seen: SeenRequest;
}

function readJson(stream: NodeJS.ReadableStream): Promise<SeenRequest> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
    });
    stream.on('end', () => resolve(JSON.parse(text) as SeenRequest));
    stream.on('error', reject);
  });
}

describe('echo servers', () => {
  test('HTTP/1.1 answers with what it saw and records it', async () => {
    const server = await started(startHttpEcho('http-a'));
    const answer = await new Promise<Answer>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'PUT',
          path: '/things/1?x=y',
          headers: { host: 'example.test', 'x-test': 'one' },
        },
        (response) =>
          readJson(response).then(
            (seen) => resolve({ status: response.statusCode!, headers: response.headers, seen }),
            reject,
          ),
      );
      request.on('error', reject);
      request.end('hello body');
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-echo-backend']).toBe('http-a');
    expect(answer.seen).toMatchObject({
      backend: 'http-a',
      protocol: 'http/1.1',
      method: 'PUT',
      path: '/things/1?x=y',
      host: 'example.test',
      body: 'hello body',
    });
    expect(answer.seen.headers['x-test']).toBe('one');
    expect(server.seen).toEqual([answer.seen]);
  });

  test('h2c answers over cleartext HTTP/2 with the :authority as host', async () => {
    const server = await started(startH2cEcho('h2c-a'));
    const session = http2Connect(`http://127.0.0.1:${server.port}`);
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/grpc-like',
        ':authority': 'h2.test',
        'x-test': 'two',
      });
      stream.end('h2 body');
      const seen = await readJson(stream);
      expect(seen).toMatchObject({
        backend: 'h2c-a',
        protocol: 'h2c',
        method: 'POST',
        path: '/grpc-like',
        host: 'h2.test',
        body: 'h2 body',
      });
      expect(seen.headers['x-test']).toBe('two');
      expect(seen.headers).not.toHaveProperty(':path');
    } finally {
      session.close();
    }
  });

  test('HTTPS presents a certificate of the test CA and reports SNI and ALPN', async () => {
    const certificates = await createTestCertificates(['echo.test', '127.0.0.1']);
    const server = await started(startHttpsEcho('tls-a', certificates));
    const overHttp1 = await new Promise<SeenRequest>((resolve, reject) => {
      const request = httpsRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/secure',
          servername: 'echo.test',
          agent: new HttpsAgent({ ALPNProtocols: ['http/1.1'] }),
          ca: certificates.caCert,
          headers: { host: 'echo.test' },
        },
        (response) => readJson(response).then(resolve, reject),
      );
      request.on('error', reject);
      request.end();
    });
    expect(overHttp1).toMatchObject({
      backend: 'tls-a',
      protocol: 'https',
      path: '/secure',
      tls: { servername: 'echo.test', alpn: 'http/1.1' },
    });

    const session = http2Connect(`https://127.0.0.1:${server.port}`, {
      servername: 'echo.test',
      ca: certificates.caCert,
    });
    try {
      const stream = session.request({ ':path': '/secure-h2', ':authority': 'echo.test' });
      stream.end();
      expect(await readJson(stream)).toMatchObject({
        path: '/secure-h2',
        tls: { servername: 'echo.test', alpn: 'h2' },
      });
    } finally {
      session.close();
    }

    // A client that does not trust the test CA is refused.
    await expect(
      new Promise((resolve, reject) => {
        const request = httpsRequest(
          { host: '127.0.0.1', port: server.port, servername: 'echo.test' },
          resolve,
        );
        request.on('error', reject);
        request.end();
      }),
    ).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  test('gRPC answers with the backend, method path, authority and metadata', async () => {
    const server = await started(startGrpcEcho('grpc-a'));
    const client = echoGrpcClient(server.address);
    try {
      const response = await client.echo('ping', { metadata: { 'x-test': 'three' } });
      expect(response).toMatchObject({
        backend: 'grpc-a',
        message: 'ping',
        path: '/switchyard.test.echo.Echo/Echo',
        authority: server.address,
      });
      expect(response.metadata['x-test']).toBe('three');
      expect(server.seen.map((seen) => seen.body)).toEqual(['ping']);
    } finally {
      client.close();
    }
  });

  test('TCP answers each line with a JSON line naming the backend', async () => {
    const server = await started(startTcpEcho('tcp-a'));
    const lines = await new Promise<string[]>((resolve, reject) => {
      const socket = tcpConnect(server.port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text.trimEnd().split('\n')));
      socket.on('error', reject);
      socket.end('first\nsecond');
    });
    expect(lines.map((line) => JSON.parse(line) as SeenRequest)).toMatchObject([
      { backend: 'tcp-a', protocol: 'tcp', body: 'first' },
      { backend: 'tcp-a', protocol: 'tcp', body: 'second' },
    ]);
    expect(server.seen.map((seen) => seen.body)).toEqual(['first', 'second']);
  });

  test('UDP answers each datagram with one naming the backend', async () => {
    const server = await started(startUdpEcho('udp-a'));
    const socket = createSocket('udp4');
    try {
      const reply = new Promise<SeenRequest>((resolve) =>
        socket.once('message', (datagram) => resolve(JSON.parse(datagram.toString('utf8')) as SeenRequest)),
      );
      socket.send('datagram one', server.port, '127.0.0.1');
      expect(await reply).toMatchObject({ backend: 'udp-a', protocol: 'udp', body: 'datagram one' });
      expect(server.seen).toHaveLength(1);
    } finally {
      socket.close();
    }
  });

  test('WebSocket answers each message with the upgrade request it came on', async () => {
    const server = await started(startWebSocketEcho('ws-a'));
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/chat?room=1`, {
      headers: { 'x-test': 'four' },
    });
    try {
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const reply = new Promise<SeenRequest>((resolve) =>
        socket.once('message', (data) => resolve(JSON.parse(String(data)) as SeenRequest)),
      );
      socket.send('hello socket');
      const seen = await reply;
      expect(seen).toMatchObject({
        backend: 'ws-a',
        protocol: 'websocket',
        method: 'GET',
        path: '/chat?room=1',
        body: 'hello socket',
      });
      expect(seen.headers['x-test']).toBe('four');
      expect(seen.headers.upgrade).toBe('websocket');
      await server.waitForSeen(1);
    } finally {
      socket.close();
    }
  });
});
