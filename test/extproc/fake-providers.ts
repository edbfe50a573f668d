// Fake LLM providers on loopback, answering in each provider's documented wire format (written for these
// tests): they record every request exactly as received and can be told to fail or stall the next one.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { encodeEventStreamMessage } from '../../dataplane/extproc/aws-event-stream.ts';
import { closerFor } from '../harness/echo/close-server.ts';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Failure {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

export interface FakeProvider {
  readonly name: string;
  readonly port: number;
  readonly received: ReceivedRequest[];
  /** The next request is answered with this error. */
  failNext(failure: Failure): void;
  /** The next streamed answer stops after its first event until `release` is called. */
  stallNext(): { readonly started: Promise<void>; readonly closed: Promise<void>; release(): void };
  close(): Promise<void>;
}

type Stream = { write(chunk: string | Buffer): void; end(): void; stalled: Promise<void> | undefined };
type Handler = (
  request: ReceivedRequest,
  json: Record<string, unknown>,
  stream: Stream,
  response: ServerResponse,
) => void;

async function startProvider(name: string, handler: Handler): Promise<FakeProvider> {
  const received: ReceivedRequest[] = [];
  let failure: Failure | undefined;
  let stall: { started: () => void; closed: () => void; gate: Promise<void> } | undefined;
  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(incoming.headers))
        headers[key] = Array.isArray(value) ? value.join(',') : (value ?? '');
      const request = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      if (failure !== undefined) {
        const { status, body, headers: extra } = failure;
        failure = undefined;
        response.writeHead(status, { 'content-type': 'application/json', ...extra }).end(body);
        return;
      }
      const current = stall;
      stall = undefined;
      let first = true;
      const stream: Stream = {
        stalled: current?.gate,
        write: (chunk) => {
          response.write(chunk);
          if (first && current !== undefined) current.started();
          first = false;
        },
        end: () => response.end(),
      };
      if (current !== undefined) response.once('close', () => current.closed());
      handler(request, JSON.parse(request.body || '{}') as Record<string, unknown>, stream, response);
    });
  });
  const close = closerFor(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    received,
    failNext: (next) => {
      failure = next;
    },
    stallNext: () => {
      let release!: () => void;
      let started!: () => void;
      let closed!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const startedPromise = new Promise<void>((resolve) => (started = resolve));
      const closedPromise = new Promise<void>((resolve) => (closed = resolve));
      stall = { started, closed, gate };
      return { started: startedPromise, closed: closedPromise, release };
    },
    close,
  };
}

/** Writes events one by one; a stalled stream waits after the first for the test's release. */
async function writeAll(stream: Stream, events: (string | Buffer)[]): Promise<void> {
  for (const [i, event] of events.entries()) {
    stream.write(event);
    if (i === 0 && stream.stalled !== undefined) await stream.stalled;
  }
  stream.end();
}

const sse = (event: string | undefined, data: unknown) =>
  `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;

/** Anthropic Messages: a text block and a get_weather tool_use, whole or as streaming events. */
export function startFakeAnthropic(): Promise<FakeProvider> {
  return startProvider('anthropic', (_request, json, stream, response) => {
    if (json.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json' });
      stream.write(
        JSON.stringify({
          id: 'msg_fake_1',
          type: 'message',
          role: 'assistant',
          model: json.model,
          content: [
            { type: 'text', text: 'Let me look that up.' },
            { type: 'tool_use', id: 'toolu_fake_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
          stop_reason: 'tool_use',
          usage: { input_tokens: 21, output_tokens: 13 },
        }),
      );
      stream.end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    void writeAll(stream, [
      sse('message_start', {
        type: 'message_start',
        message: { id: 'msg_fake_2', model: json.model, usage: { input_tokens: 17, output_tokens: 1 } },
      }),
      sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'Sunny ' },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'in Paris.' },
      }),
      sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sse('content_block_start', {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_fake_2', name: 'get_weather', input: {} },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'input_json_delta', partial_json: '{"city":' },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'input_json_delta', partial_json: '"Lyon"}' },
      }),
      sse('content_block_stop', { type: 'content_block_stop', index: 1 }),
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use' },
        usage: { output_tokens: 11 },
      }),
      sse('message_stop', { type: 'message_stop' }),
    ]);
  });
}

/** Bedrock Converse (JSON) and ConverseStream (AWS event-stream frames). */
export function startFakeBedrock(): Promise<FakeProvider> {
  return startProvider('bedrock', (request, _json, stream, response) => {
    if (!request.path.endsWith('/converse-stream')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      stream.write(
        JSON.stringify({
          output: {
            message: {
              role: 'assistant',
              content: [
                { text: 'Checking.' },
                { toolUse: { toolUseId: 'tooluse_fake_1', name: 'get_weather', input: { city: 'Oslo' } } },
              ],
            },
          },
          stopReason: 'tool_use',
          usage: { inputTokens: 30, outputTokens: 9, totalTokens: 39 },
        }),
      );
      stream.end();
      return;
    }
    const frame = (type: string, payload: unknown) =>
      encodeEventStreamMessage(
        { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
        Buffer.from(JSON.stringify(payload)),
      );
    response.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    void writeAll(stream, [
      frame('messageStart', { role: 'assistant' }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Cold ' } }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'in Oslo.' } }),
      frame('contentBlockStop', { contentBlockIndex: 0 }),
      frame('messageStop', { stopReason: 'end_turn' }),
      frame('metadata', {
        usage: { inputTokens: 12, outputTokens: 4, totalTokens: 16 },
        metrics: { latencyMs: 10 },
      }),
    ]);
  });
}

/** Vertex AI Gemini generateContent (JSON) and streamGenerateContent?alt=sse. */
export function startFakeVertex(): Promise<FakeProvider> {
  return startProvider('vertex', (request, _json, stream, response) => {
    if (request.path.includes(':generateContent')) {
      // Compressed when the client accepts it, as Google's front ends do.
      const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
      response.writeHead(200, {
        'content-type': 'application/json',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      const json = (value: unknown) => (gzip ? gzipSync(JSON.stringify(value)) : JSON.stringify(value));
      stream.write(
        json({
          candidates: [
            {
              content: {
                role: 'model',
                parts: [{ functionCall: { name: 'get_weather', args: { city: 'Rome' } } }],
              },
              finishReason: 'STOP',
            },
          ],
          usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 5, totalTokenCount: 13 },
          responseId: 'vertex-resp-1',
        }),
      );
      stream.end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    void writeAll(stream, [
      sse(undefined, { candidates: [{ content: { role: 'model', parts: [{ text: 'Warm ' }] } }] }),
      sse(undefined, {
        candidates: [{ content: { role: 'model', parts: [{ text: 'in Rome.' }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 6, candidatesTokenCount: 3, totalTokenCount: 9 },
      }),
    ]);
  });
}

/** Azure OpenAI: the OpenAI schema; streams end with a usage chunk when stream_options asks for it. */
export function startFakeAzure(): Promise<FakeProvider> {
  return startProvider('azure', (request, json, stream, response) => {
    if (request.path.includes('/embeddings?')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      stream.write(
        JSON.stringify({
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [0.25, -0.5] }],
          model: json.model,
          usage: { prompt_tokens: 3, total_tokens: 3 },
        }),
      );
      stream.end();
      return;
    }
    const base = { id: 'chatcmpl-azure', created: 1767225600, model: 'gpt-4o' };
    const usage = { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 };
    if (json.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json' });
      stream.write(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'Hello from Azure.' }, finish_reason: 'stop' },
          ],
          usage,
        }),
      );
      stream.end();
      return;
    }
    const chunk = (delta: unknown, finish: string | null) =>
      sse(undefined, {
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    const withUsage =
      (json.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    void writeAll(stream, [
      chunk({ role: 'assistant', content: '' }, null),
      chunk({ content: 'Hello ' }, null),
      chunk({ content: 'Azure.' }, 'stop'),
      ...(withUsage
        ? [sse(undefined, { ...base, object: 'chat.completion.chunk', choices: [], usage })]
        : []),
      'data: [DONE]\n\n',
    ]);
  });
}
