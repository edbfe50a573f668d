// Fake LLM providers on loopback, answering in each provider's documented wire format (written for these
// tests): they record every request exactly as received and can be told to fail or stall the next one. Every
// provider gives the same canonical answer in its own shape, so one expectation per client API fits them all:
// - whole: the text "Let me look that up." and a get_weather call for Paris; 21 tokens in, 13 out.
// - streamed: "Sunny " + "in Paris.", then get_weather for Lyon (arguments in two pieces) and get_time for
//   CET (a second tool, to show the tools' arguments stay apart); 17 tokens in, 11 out.
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
  /** The body's bytes (a multipart upload is binary). */
  readonly raw: Buffer;
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

export const CANONICAL = {
  text: 'Let me look that up.',
  /** What token counting answers (Anthropic's count_tokens, Bedrock's CountTokens). */
  countedTokens: 14,
  city: 'Paris',
  usage: { input: 21, output: 13 },
  streamText: ['Sunny ', 'in Paris.'],
  streamUsage: { input: 17, output: 11 },
} as const;

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
        raw: Buffer.concat(chunks),
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
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(request.body || '{}') as Record<string, unknown>;
      } catch {
        // the test looks at `received`; the handler answers as to an empty request
      }
      handler(request, json, stream, response);
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

function json(
  response: ServerResponse,
  stream: Stream,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(200, { 'content-type': 'application/json', ...headers });
  stream.write(JSON.stringify(value));
  stream.end();
}

const sse = (event: string | undefined, data: unknown) =>
  `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;

// ---- Anthropic Messages (Anthropic, Anthropic on Vertex, Anthropic on Bedrock) ----------------------------

export function anthropicMessage(model: unknown) {
  return {
    id: 'msg_fake_1',
    type: 'message',
    role: 'assistant',
    model,
    content: [
      { type: 'text', text: CANONICAL.text },
      { type: 'tool_use', id: 'toolu_fake_1', name: 'get_weather', input: { city: CANONICAL.city } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: CANONICAL.usage.input, output_tokens: CANONICAL.usage.output },
  };
}

/** The streamed answer as Anthropic events (objects, in order). */
export function anthropicEvents(model: unknown): Record<string, unknown>[] {
  const block = (index: number, content_block: unknown) => ({
    type: 'content_block_start',
    index,
    content_block,
  });
  const delta = (index: number, value: unknown) => ({ type: 'content_block_delta', index, delta: value });
  return [
    {
      type: 'message_start',
      message: {
        id: 'msg_fake_2',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: CANONICAL.streamUsage.input, output_tokens: 1 },
      },
    },
    block(0, { type: 'text', text: '' }),
    delta(0, { type: 'text_delta', text: CANONICAL.streamText[0] }),
    delta(0, { type: 'text_delta', text: CANONICAL.streamText[1] }),
    { type: 'content_block_stop', index: 0 },
    block(1, { type: 'tool_use', id: 'toolu_fake_2', name: 'get_weather', input: {} }),
    delta(1, { type: 'input_json_delta', partial_json: '{"city":' }),
    delta(1, { type: 'input_json_delta', partial_json: '"Lyon"}' }),
    { type: 'content_block_stop', index: 1 },
    block(2, { type: 'tool_use', id: 'toolu_fake_3', name: 'get_time', input: {} }),
    delta(2, { type: 'input_json_delta', partial_json: '{"tz":"CET"}' }),
    { type: 'content_block_stop', index: 2 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: CANONICAL.streamUsage.output },
    },
    { type: 'message_stop' },
  ];
}

function anthropicAnswer(
  json: Record<string, unknown>,
  stream: Stream,
  response: ServerResponse,
  model: unknown,
) {
  if (json.stream !== true) return void json_(response, stream, anthropicMessage(model));
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  void writeAll(
    stream,
    anthropicEvents(model).map((event) => sse(event.type as string, event)),
  );
}
const json_ = json;

/** Anthropic Messages at /v1/messages, token counting at /v1/messages/count_tokens. */
export function startFakeAnthropic(): Promise<FakeProvider> {
  return startProvider('anthropic', (request, body, stream, response) =>
    request.path.endsWith('/count_tokens')
      ? json(response, stream, { input_tokens: CANONICAL.countedTokens })
      : anthropicAnswer(body, stream, response, body.model),
  );
}

// ---- OpenAI-compatible (OpenAI, Azure OpenAI) --------------------------------------------------------------

/** The audio the fake speaks: 2 MiB, twice Envoy's default buffer limit (a gateway buffering it would fail). */
export const SPEECH_AUDIO = Buffer.from(
  Uint8Array.from({ length: 2 * 1024 * 1024 }, (_, i) => (i * 31) % 251),
);

/** The same speech as server-sent events (`stream_format: sse`). */
export const SPEECH_EVENTS = [
  `data: {"type":"speech.audio.delta","audio":"${SPEECH_AUDIO.subarray(0, 48).toString('base64')}"}\n\n`,
  `data: {"type":"speech.audio.delta","audio":"${SPEECH_AUDIO.subarray(48, 96).toString('base64')}"}\n\n`,
  'data: {"type":"speech.audio.done","usage":{"input_tokens":5,"output_tokens":40,"total_tokens":45}}\n\n',
];

/** A transcription's usage as OpenAI reports it for gpt-4o-transcribe (whisper-1 reports none). */
export const TRANSCRIPTION_USAGE = {
  type: 'tokens',
  input_tokens: 14,
  input_token_details: { text_tokens: 0, audio_tokens: 14 },
  output_tokens: 4,
  total_tokens: 18,
};

/** The transcription as events (`stream: true`). */
export const TRANSCRIPTION_EVENTS = [
  'data: {"type":"transcript.text.delta","delta":"Hello"}\n\n',
  'data: {"type":"transcript.text.delta","delta":" there."}\n\n',
  `data: ${JSON.stringify({ type: 'transcript.text.done', text: 'Hello there.', usage: TRANSCRIPTION_USAGE })}\n\n`,
];

/** Transcriptions and translations: the form read as OpenAI reads it; the answer in the format it asks. */
async function answerAudioUpload(
  request: ReceivedRequest,
  path: string,
  response: ServerResponse,
  stream: Stream,
): Promise<void> {
  const form = await new Response(request.raw, {
    headers: { 'content-type': request.headers['content-type'] ?? '' },
  })
    .formData()
    .catch(() => undefined);
  if (!(form?.get('file') instanceof File)) {
    response.writeHead(400, { 'content-type': 'application/json' });
    stream.write(JSON.stringify({ error: { message: "'file' is required", type: 'invalid_request_error' } }));
    return stream.end();
  }
  if (form.get('response_format') === 'text') {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    stream.write('Hello there.\n');
    return stream.end();
  }
  if (path.endsWith('/translations')) return json(response, stream, { text: 'Hello there.' });
  if (form.get('stream') === 'true') {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    return writeAll(stream, TRANSCRIPTION_EVENTS);
  }
  json(response, stream, { text: 'Hello there.', usage: TRANSCRIPTION_USAGE });
}

export function chatCompletion(model: unknown) {
  return {
    id: 'chatcmpl-fake-1',
    object: 'chat.completion',
    created: 1767225600,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: CANONICAL.text,
          tool_calls: [
            {
              id: 'call_fake_1',
              type: 'function',
              function: { name: 'get_weather', arguments: JSON.stringify({ city: CANONICAL.city }) },
            },
          ],
        },
        finish_reason: 'tool_calls',
      },
    ],
    usage: {
      prompt_tokens: CANONICAL.usage.input,
      completion_tokens: CANONICAL.usage.output,
      total_tokens: CANONICAL.usage.input + CANONICAL.usage.output,
    },
  };
}

function chatStream(model: unknown, withUsage: boolean): string[] {
  const base = { id: 'chatcmpl-fake-2', object: 'chat.completion.chunk', created: 1767225600, model };
  const chunk = (delta: unknown, finish: string | null = null) =>
    sse(undefined, { ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  const call = (index: number, id: string | undefined, name: string | undefined, args: string) => ({
    tool_calls: [
      {
        index,
        ...(id === undefined ? {} : { id, type: 'function' }),
        function: { ...(name === undefined ? {} : { name }), arguments: args },
      },
    ],
  });
  return [
    chunk({ role: 'assistant', content: '' }),
    chunk({ content: CANONICAL.streamText[0] }),
    chunk({ content: CANONICAL.streamText[1] }),
    chunk(call(0, 'call_fake_2', 'get_weather', '{"city":')),
    chunk(call(0, undefined, undefined, '"Lyon"}')),
    chunk(call(1, 'call_fake_3', 'get_time', '{"tz":"CET"}')),
    chunk({}, 'tool_calls'),
    ...(withUsage
      ? [
          sse(undefined, {
            ...base,
            choices: [],
            usage: {
              prompt_tokens: CANONICAL.streamUsage.input,
              completion_tokens: CANONICAL.streamUsage.output,
              total_tokens: CANONICAL.streamUsage.input + CANONICAL.streamUsage.output,
            },
          }),
        ]
      : []),
    'data: [DONE]\n\n',
  ];
}

export const RESPONSES_USAGE = {
  input_tokens: 12,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 5,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 17,
};

export function responsesObject(model: unknown) {
  return {
    id: 'resp_fake_1',
    object: 'response',
    created_at: 1767225600,
    status: 'completed',
    model,
    output: [
      {
        type: 'message',
        id: 'msg_fake_r',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Hello from Responses.', annotations: [] }],
      },
    ],
    usage: RESPONSES_USAGE,
  };
}

/** The same float embedding, as floats or as base64 of little-endian float32 (what the OpenAI SDK asks for). */
export const EMBEDDING = [0.25, -0.5];
const embeddingValue = (format: unknown) =>
  format === 'base64' ? Buffer.from(new Float32Array(EMBEDDING).buffer).toString('base64') : EMBEDDING;

/** OpenAI's API at /v1/…, or Azure OpenAI's at /openai/deployments/<deployment>/… and /openai/responses. */
function openAICompatible(name: string): Promise<FakeProvider> {
  return startProvider(name, (request, body, stream, response) => {
    const path = request.path.split('?', 1)[0]!;
    const model = body.model ?? path.split('/')[3];
    if (path.endsWith('/embeddings')) {
      return json(response, stream, {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: embeddingValue(body.encoding_format) }],
        model,
        usage: { prompt_tokens: 3, total_tokens: 3 },
      });
    }
    if (path.endsWith('/completions') && !path.endsWith('/chat/completions')) {
      return json(response, stream, {
        id: 'cmpl-fake-1',
        object: 'text_completion',
        created: 1767225600,
        model,
        choices: [{ text: ' Paris.', index: 0, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      });
    }
    if (path.endsWith('/images/generations')) {
      return json(response, stream, {
        created: 1767225600,
        data: [{ b64_json: 'iVBORw0KGgo=' }],
        usage: {
          input_tokens: 8,
          output_tokens: 272,
          total_tokens: 280,
          input_tokens_details: { text_tokens: 8, image_tokens: 0 },
        },
      });
    }
    if (path === '/tokenize') {
      // vLLM's tokenizer endpoint: the ids of the prompt or of the chat template applied to the messages.
      const tokens = body.messages === undefined ? [9906, 1917] : [128000, 9906, 1917, 128009];
      return json(response, stream, {
        count: tokens.length,
        max_model_len: 8192,
        tokens,
        ...(body.return_token_strs === true ? { token_strs: tokens.map((id) => `<${id}>`) } : {}),
      });
    }
    if (path.endsWith('/audio/transcriptions') || path.endsWith('/audio/translations'))
      return void answerAudioUpload(request, path, response, stream);
    if (path.endsWith('/audio/speech')) {
      if (body.voice === 'nobody') {
        // OpenAI's error for a voice it does not have, as plain text: the gateway puts it in OpenAI's shape.
        response.writeHead(400, { 'content-type': 'text/plain' });
        stream.write("voice 'nobody' does not exist");
        return void stream.end();
      }
      if (body.stream_format === 'sse') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        return void writeAll(stream, SPEECH_EVENTS);
      }
      response.writeHead(200, { 'content-type': 'audio/mpeg' });
      return void writeAll(stream, [SPEECH_AUDIO.subarray(0, 65536), SPEECH_AUDIO.subarray(65536)]);
    }
    if (path.endsWith('/responses/input_tokens'))
      return json(response, stream, { object: 'response.input_tokens', input_tokens: 9 });
    if (path.endsWith('/responses')) {
      if (body.stream !== true) return json(response, stream, responsesObject(model));
      const created = { ...responsesObject(model), status: 'in_progress', output: [], usage: null };
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      return void writeAll(stream, [
        sse('response.created', { type: 'response.created', sequence_number: 0, response: created }),
        sse('response.output_text.delta', {
          type: 'response.output_text.delta',
          sequence_number: 1,
          item_id: 'msg_fake_r',
          output_index: 0,
          content_index: 0,
          delta: 'Hello from ',
        }),
        sse('response.output_text.delta', {
          type: 'response.output_text.delta',
          sequence_number: 2,
          item_id: 'msg_fake_r',
          output_index: 0,
          content_index: 0,
          delta: 'Responses.',
        }),
        sse('response.completed', {
          type: 'response.completed',
          sequence_number: 3,
          response: responsesObject(model),
        }),
      ]);
    }
    if (body.stream !== true) return json(response, stream, chatCompletion(model));
    const withUsage =
      (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    void writeAll(stream, chatStream(model, withUsage));
  });
}

export function startFakeOpenAI(): Promise<FakeProvider> {
  return openAICompatible('openai');
}

export function startFakeAzure(): Promise<FakeProvider> {
  return openAICompatible('azure');
}

// ---- Google Vertex AI (Gemini, Anthropic on Vertex, embeddings) --------------------------------------------

/** Gemini (and its countTokens), Anthropic models (rawPredict, count-tokens) and embeddings (predict, embedContent) under /v1/projects/…. */
export function startFakeVertex(): Promise<FakeProvider> {
  return startProvider('vertex', (request, body, stream, response) => {
    const path = request.path;
    if (path.endsWith('/publishers/anthropic/models/count-tokens:rawPredict'))
      return json(response, stream, { input_tokens: CANONICAL.countedTokens });
    if (path.endsWith(':countTokens'))
      return json(response, stream, { totalTokens: CANONICAL.countedTokens, totalBillableCharacters: 20 });
    if (path.includes('/publishers/anthropic/'))
      return anthropicAnswer(body, stream, response, 'claude-vertex');
    if (path.endsWith(':predict')) {
      const instances = (body.instances as unknown[] | undefined) ?? [];
      return json(response, stream, {
        predictions: instances.map(() => ({
          embeddings: { values: EMBEDDING, statistics: { token_count: 3, truncated: false } },
        })),
      });
    }
    if (path.endsWith(':embedContent'))
      return json(response, stream, {
        embedding: { values: EMBEDDING },
        usageMetadata: { promptTokenCount: 3 },
      });
    if (path.includes(':generateContent')) {
      // Compressed when the client accepts it, as Google's front ends do.
      const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
      response.writeHead(200, {
        'content-type': 'application/json',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      const value = {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                { text: CANONICAL.text },
                { functionCall: { name: 'get_weather', args: { city: CANONICAL.city } } },
              ],
            },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: {
          promptTokenCount: CANONICAL.usage.input,
          candidatesTokenCount: CANONICAL.usage.output,
          totalTokenCount: CANONICAL.usage.input + CANONICAL.usage.output,
        },
        responseId: 'vertex-resp-1',
      };
      stream.write(gzip ? gzipSync(JSON.stringify(value)) : JSON.stringify(value));
      stream.end();
      return;
    }
    const part = (parts: unknown[], extra: Record<string, unknown> = {}) =>
      sse(undefined, {
        candidates: [{ content: { role: 'model', parts }, ...extra }],
        responseId: 'vertex-resp-2',
      });
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    void writeAll(stream, [
      part([{ text: CANONICAL.streamText[0] }]),
      part([{ text: CANONICAL.streamText[1] }]),
      part([
        { functionCall: { name: 'get_weather', args: { city: 'Lyon' } } },
        { functionCall: { name: 'get_time', args: { tz: 'CET' } } },
      ]),
      sse(undefined, {
        candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'STOP' }],
        usageMetadata: {
          promptTokenCount: CANONICAL.streamUsage.input,
          candidatesTokenCount: CANONICAL.streamUsage.output,
          totalTokenCount: CANONICAL.streamUsage.input + CANONICAL.streamUsage.output,
        },
        responseId: 'vertex-resp-2',
      }),
    ]);
  });
}

// ---- AWS Bedrock (Converse, Anthropic through InvokeModel, Titan embeddings) -------------------------------

const frame = (type: string, payload: unknown) =>
  encodeEventStreamMessage(
    { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(JSON.stringify(payload)),
  );

/** Converse / ConverseStream, InvokeModel (Anthropic bodies, Titan embeddings), InvokeModelWithResponseStream, CountTokens. */
export function startFakeBedrock(): Promise<FakeProvider> {
  return startProvider('bedrock', (request, body, stream, response) => {
    const path = request.path;
    if (path.endsWith('/count-tokens'))
      return json(response, stream, { inputTokens: CANONICAL.countedTokens });
    if (path.endsWith('/invoke') && typeof body.inputText === 'string')
      return json(response, stream, { embedding: EMBEDDING, inputTextTokenCount: 3 });
    if (path.endsWith('/invoke')) return json(response, stream, anthropicMessage('claude-bedrock'));
    if (path.endsWith('/invoke-with-response-stream')) {
      response.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      return void writeAll(
        stream,
        anthropicEvents('claude-bedrock').map((event) =>
          frame('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') }),
        ),
      );
    }
    if (path.endsWith('/converse')) {
      return json(response, stream, {
        output: {
          message: {
            role: 'assistant',
            content: [
              { text: CANONICAL.text },
              {
                toolUse: {
                  toolUseId: 'tooluse_fake_1',
                  name: 'get_weather',
                  input: { city: CANONICAL.city },
                },
              },
            ],
          },
        },
        stopReason: 'tool_use',
        usage: {
          inputTokens: CANONICAL.usage.input,
          outputTokens: CANONICAL.usage.output,
          totalTokens: CANONICAL.usage.input + CANONICAL.usage.output,
        },
        metrics: { latencyMs: 10 },
      });
    }
    response.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    void writeAll(stream, [
      frame('messageStart', { role: 'assistant' }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: CANONICAL.streamText[0] } }),
      frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: CANONICAL.streamText[1] } }),
      frame('contentBlockStop', { contentBlockIndex: 0 }),
      frame('contentBlockStart', {
        contentBlockIndex: 1,
        start: { toolUse: { toolUseId: 'tooluse_fake_2', name: 'get_weather' } },
      }),
      frame('contentBlockStart', {
        contentBlockIndex: 2,
        start: { toolUse: { toolUseId: 'tooluse_fake_3', name: 'get_time' } },
      }),
      frame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } }),
      frame('contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '{"tz":"CET"}' } } }),
      frame('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '"Lyon"}' } } }),
      frame('contentBlockStop', { contentBlockIndex: 1 }),
      frame('contentBlockStop', { contentBlockIndex: 2 }),
      frame('messageStop', { stopReason: 'tool_use' }),
      frame('metadata', {
        usage: {
          inputTokens: CANONICAL.streamUsage.input,
          outputTokens: CANONICAL.streamUsage.output,
          totalTokens: CANONICAL.streamUsage.input + CANONICAL.streamUsage.output,
        },
        metrics: { latencyMs: 10 },
      }),
    ]);
  });
}

// ---- Cohere -----------------------------------------------------------------------------------------------------

/** Cohere's rerank at /v2/rerank: the documents in the order given, scores falling, 27 tokens in. */
export function startFakeCohere(): Promise<FakeProvider> {
  return startProvider('cohere', (_request, body, stream, response) => {
    const documents = (body.documents as unknown[] | undefined) ?? [];
    json(response, stream, {
      id: 'rerank-fake-1',
      results: documents.map((_document, index) => ({ index, relevance_score: 0.9 - index / 10 })),
      meta: {
        api_version: { version: '2' },
        billed_units: { search_units: 1 },
        tokens: { input_tokens: 27, output_tokens: 0 },
      },
    });
  });
}
