import { expect, test, vi } from 'vitest';
import type { Draft } from '../../runtime/index.ts';
import { parseExtProcConfig } from './config.ts';
import type { ProcessingResponse } from './processing-messages.ts';
import type { ReleaseRequest, StreamActorMessage } from './stream-actor.ts';
import { StreamActorPool } from './stream-actor-pool.ts';
import { requestHeaders } from './testdata/ext-proc-client.ts';

const config = parseExtProcConfig('models: [{ name: m }]');
const models = requestHeaders({ ':path': '/v1/models', ':method': 'GET' }, true);

function pool(size: number) {
  const responses: { streamId: string; response: ProcessingResponse }[] = [];
  const released: ReleaseRequest[] = [];
  const actors = new StreamActorPool({
    size,
    mailboxCapacity: 4,
    respond: (request) => void responses.push(request),
    released: (request) => void released.push(request),
  });
  const send = (actor: string, message: Draft<StreamActorMessage>) => actors.system.send(actor, message);
  return { actors, responses, released, send };
}

test('an actor serves one stream at a time and returns to the pool when the stream closes', async () => {
  const { actors, responses, released, send } = pool(1);
  const actor = actors.acquire('a')!;
  expect(actors.acquire('b')).toBeUndefined();
  expect(actors.stats()).toEqual({ size: 1, busy: 1, acquired: 1, rejected: 1 });
  await send(actor, { type: 'stream.open', streamId: 'a', config, request: models });
  await vi.waitFor(() =>
    expect(responses.map((r) => [r.streamId, r.response.immediate_response?.status.code])).toEqual([
      ['a', 200],
    ]),
  );
  await send(actor, { type: 'stream.close', streamId: 'a', reason: 'completed' });
  await vi.waitFor(() =>
    expect(released).toMatchObject([{ streamId: 'a', reason: 'completed', outcome: { status: 200 } }]),
  );
  expect(actors.stats().busy).toBe(0);
  await actors.stop();
});

test('messages of a stream that is over are ignored by the actor serving the next one', async () => {
  const { actors, responses, send } = pool(1);
  const actor = actors.acquire('a')!;
  await send(actor, { type: 'stream.open', streamId: 'a', config, request: models });
  await send(actor, { type: 'stream.close', streamId: 'a', reason: 'cancelled' });
  await vi.waitFor(() => expect(actors.stats().busy).toBe(0));
  expect(actors.acquire('b')).toBe(actor);
  await send(actor, { type: 'stream.open', streamId: 'b', config, request: models });
  await send(actor, { type: 'stream.process', streamId: 'a', request: models }); // late, from the old stream
  await send(actor, { type: 'stream.process', streamId: 'b', request: { request_trailers: {} } });
  await vi.waitFor(() => expect(responses.map((r) => r.streamId)).toEqual(['a', 'b', 'b']));
  await actors.stop();
});
