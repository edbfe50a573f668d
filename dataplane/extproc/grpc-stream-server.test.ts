import { connect } from 'node:http2';
import fc from 'fast-check';
import { afterEach, expect, test } from 'vitest';
import { GRPC_STATUS, type GrpcStreamServer, startGrpcStreamServer } from './grpc-stream-server.ts';

// A text "codec" keeps the framing under test visible.
const method = {
  path: '/test.Echo/Chat',
  decode: (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8'),
  encode: (text: string) => Buffer.from(text, 'utf8'),
};

const frame = (text: string, compressed = 0) => {
  const payload = Buffer.from(text);
  const out = Buffer.alloc(5 + payload.length);
  out[0] = compressed;
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, 5);
  return out;
};

let server: GrpcStreamServer | undefined;
afterEach(async () => {
  await server?.close(100);
  server = undefined;
});

/** Sends raw bytes on one stream; resolves with the reply bytes and trailers once the server ends it. */
function call(
  address: string,
  path: string,
  chunks: Buffer[],
): Promise<{ body: Buffer; trailers: Record<string, unknown> }> {
  const session = connect(`http://${address}`);
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const parts: Buffer[] = [];
    let trailers: Record<string, unknown> = {};
    stream.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) trailers = { ...headers };
    });
    stream.on('trailers', (received) => {
      trailers = { ...received };
    });
    stream.on('data', (chunk: Buffer) => parts.push(chunk));
    stream.on('end', () => {
      session.close();
      resolve({ body: Buffer.concat(parts), trailers });
    });
    stream.on('error', reject);
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });
}

test('decodes messages split across chunks and packed into one, replies in frames, ends with grpc-status 0', async () => {
  const closes: string[] = [];
  server = await startGrpcStreamServer('127.0.0.1:0', method, (stream) => {
    stream.onMessage((text) => stream.write(text.toUpperCase()));
    stream.onClose((reason) => closes.push(reason));
  });
  const one = frame('hello');
  const reply = await call(server.address, method.path, [
    one.subarray(0, 3),
    one.subarray(3),
    Buffer.concat([frame('a'), frame('bc')]),
  ]);
  expect(reply.body).toEqual(Buffer.concat([frame('HELLO'), frame('A'), frame('BC')]));
  expect(reply.trailers['grpc-status']).toBe('0');
  expect(closes).toEqual(['completed']);
});

test('answers an unknown method with UNIMPLEMENTED and a compressed message with an error status', async () => {
  server = await startGrpcStreamServer('127.0.0.1:0', method, (stream) => stream.onMessage(() => {}));
  expect((await call(server.address, '/test.Echo/Other', [])).trailers['grpc-status']).toBe(
    String(GRPC_STATUS.UNIMPLEMENTED),
  );
  expect((await call(server.address, method.path, [frame('x', 1)])).trailers['grpc-status']).toBe(
    String(GRPC_STATUS.UNIMPLEMENTED),
  );
});

test('takes messages of any size back whole however the stream splits them (property)', async () => {
  const received: string[] = [];
  server = await startGrpcStreamServer('127.0.0.1:0', method, (stream) => {
    stream.onMessage((text) => received.push(text));
  });
  const address = server.address;
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.integer({ min: 0, max: 300_000 }).map((n) => 'x'.repeat(n)),
        ),
        {
          minLength: 1,
          maxLength: 6,
        },
      ),
      fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 20 }),
      async (texts, cuts) => {
        received.length = 0;
        const bytes = Buffer.concat(texts.map((text) => frame(text)));
        const chunks: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const size = cuts[i % cuts.length] as number;
          chunks.push(bytes.subarray(at, at + size));
          at += size;
        }
        const reply = await call(address, method.path, chunks);
        expect(reply.trailers['grpc-status']).toBe('0');
        expect(received).toEqual(texts);
      },
    ),
    { numRuns: 25 },
  );
});
