import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, expect, test, vi } from 'vitest';
import { parseExtProcConfig } from './config.ts';
import { type ExtProcServer, startExtProcServer } from './extproc-server.ts';
import { extProcClient, requestHeaders } from './testdata/ext-proc-client.ts';

const config = parseExtProcConfig(`
rules: [{ models: [claude], backends: [anthropic] }]
backends: [{ name: anthropic, schema: Anthropic, auth: { anthropicAPIKey: { key: k } } }]
`);
const chatHeaders = requestHeaders({
  ':path': '/v1/chat/completions',
  ':method': 'POST',
  'x-request-id': 'r',
});
const chatBody = {
  request_body: {
    body: Buffer.from('{"model":"claude","messages":[{"role":"user","content":"hi"}]}'),
    end_of_stream: true,
  },
};

let server: ExtProcServer | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await server?.stop();
  server = undefined;
});

function connect(address: string) {
  const client = extProcClient(address);
  cleanups.push(() => client.close());
  return client;
}

test('serves a Process stream through a pool actor and frees the actor when Envoy ends the stream', async () => {
  server = await startExtProcServer({ listen: '127.0.0.1:0', config: () => config, poolSize: 2 });
  const stream = connect(server.address).open();
  expect(await stream.exchange(chatHeaders)).toEqual({ request_headers: { response: {} } });
  expect(server.stats()).toMatchObject({ busy: 1, acquired: 1, openStreams: 1 });
  const routed = await stream.exchange(chatBody);
  expect(routed?.request_body?.response.clear_route_cache).toBe(true);
  expect(routed?.request_body?.response.header_mutation?.set_headers?.map((h) => h.header.key)).toContain(
    'x-ai-eg-model',
  );
  stream.end();
  await vi.waitFor(() => expect(server!.stats()).toMatchObject({ busy: 0, openStreams: 0 }));
});

test('refuses a stream with a 503 in the client schema when every actor is busy, and recovers when one is freed', async () => {
  server = await startExtProcServer({ listen: '127.0.0.1:0', config: () => config, poolSize: 2 });
  const client = connect(server.address);
  const held = [client.open(), client.open()];
  for (const stream of held)
    expect(await stream.exchange(chatHeaders)).toEqual({ request_headers: { response: {} } });
  const refused = await client
    .open()
    .exchange(requestHeaders({ ':path': '/v1/messages', ':method': 'POST' }));
  const reply = refused?.immediate_response;
  expect(reply?.status.code).toBe(503);
  expect(
    reply?.headers?.set_headers?.map((h) => [h.header.key, Buffer.from(h.header.raw_value).toString()]),
  ).toContainEqual(['retry-after', '1']);
  expect(JSON.parse(Buffer.from(reply!.body!).toString())).toEqual({
    type: 'error',
    error: { type: 'api_error', message: 'the AI gateway is at capacity; retry shortly' },
  });
  expect(server.stats()).toMatchObject({ busy: 2, rejected: 1 });
  // A client that goes away (Envoy cancels the stream) releases its actor.
  held[0]!.call.cancel();
  await vi.waitFor(() => expect(server!.stats().busy).toBe(1));
  const admitted = client.open();
  expect(await admitted.exchange(chatHeaders)).toEqual({ request_headers: { response: {} } });
  held[1]!.end();
  admitted.end();
  await vi.waitFor(() => expect(server!.stats()).toMatchObject({ busy: 0, acquired: 3, rejected: 1 }));
});

test('measures the time it spends on each request, and counts refused and open streams', async () => {
  const registry = new Registry();
  server = await startExtProcServer({
    listen: '127.0.0.1:0',
    config: () => config,
    poolSize: 1,
    metrics: registry,
  });
  const value = async (name: string) =>
    Number(
      (await registry.metrics())
        .split('\n')
        .find((line) => line.startsWith(`${name} `))
        ?.split(' ')[1],
    );
  const client = connect(server.address);
  const stream = client.open();
  await stream.exchange(chatHeaders);
  // The client is slow to send the body: that wait is Envoy's, not the service's, and is not counted.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await stream.exchange(chatBody);
  expect(await value('switchyard_extproc_streams_open')).toBe(1);
  const refused = await client.open().exchange(chatHeaders);
  expect(refused?.immediate_response?.status.code).toBe(503);
  expect(await value('switchyard_extproc_streams_refused_total')).toBe(1);
  stream.end();
  await vi.waitFor(async () =>
    expect(await value('switchyard_extproc_request_processing_seconds_count')).toBe(1),
  );
  const seconds = await value('switchyard_extproc_request_processing_seconds_sum');
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThan(1);
});

test('listens on a Unix socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'extproc-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  server = await startExtProcServer({
    listen: `unix:${join(dir, 'extproc.sock')}`,
    config: () => config,
    poolSize: 1,
  });
  const stream = connect(server.address).open();
  expect(
    await stream.exchange(requestHeaders({ ':path': '/v1/models', ':method': 'GET' }, true)),
  ).toMatchObject({ immediate_response: { status: { code: 200 } } });
  stream.end();
});
