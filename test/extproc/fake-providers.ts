// Fake LLM providers on loopback, answering in each provider's documented wire format (written for these
// tests): they record every request exactly as received and can be told to fail or stall the next one. Every
// provider gives the same canonical answer in its own shape, so one expectation per client API fits them all:
// - whole: the text "Let me look that up." and a get_weather call for Paris; 21 tokens in, 13 out.
// - streamed: "Sunny " + "in Paris.", then get_weather for Lyon (arguments in two pieces) and get_time for
//   CET (a second tool, to show the tools' arguments stay apart); 17 tokens in, 11 out.
//
// The server they run on is fake-provider-server.ts, the OpenAI-compatible ones fake-openai.ts; Anthropic, Vertex
// AI, Bedrock and Cohere are here, and this file is where tests take any of them from.
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { encodeEventStreamMessage } from '../../dataplane/extproc/aws-event-stream.ts';
import { EMBEDDING } from './fake-openai.ts';
import {
  CANONICAL,
  type FakeProvider,
  json,
  type Stream,
  sse,
  startProvider,
  writeAll,
} from './fake-provider-server.ts';

export {
  chatCompletion,
  EMBEDDING,
  RESPONSES_USAGE,
  responsesObject,
  SPEECH_AUDIO,
  SPEECH_EVENTS,
  startFakeAzure,
  startFakeOpenAI,
  TRANSCRIPTION_EVENTS,
  TRANSCRIPTION_USAGE,
} from './fake-openai.ts';
export { CANONICAL, type Failure, type FakeProvider, type ReceivedRequest } from './fake-provider-server.ts';

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
