// extproc.stream: streamed-completion translation throughput (chunks/s) for a long completion, per pair of
// client API and upstream schema, in one run so a slow translator shows against the others: OpenAI clients on
// Anthropic (SSE events), Bedrock (event-stream frames), Gemini and Anthropic-on-Bedrock; Anthropic clients on
// OpenAI and Bedrock; both passthroughs (read only for usage). Upstream bytes arrive in network-sized pieces
// that split events anywhere.
import { encodeEventStreamMessage } from '../dataplane/extproc/aws-event-stream.ts';
import { parseExtProcConfig } from '../dataplane/extproc/config.ts';
import { selectTranslator } from '../dataplane/extproc/select-translator.ts';
import type { ClientApi, StreamTranslator, TranslationContext } from '../dataplane/extproc/translator.ts';
import { report } from './report.ts';

const DELTAS = 50_000;
const PIECE = 1_400; // about one TCP segment
const ROUNDS_MS = 3_000;

const context: TranslationContext = {
  model: 'upstream',
  requestModel: 'client-model',
  stream: true,
  created: 1767225600,
  requestId: 'bench',
  includeUsage: true,
};

const words = (i: number) => `token${i % 97} `;

function anthropicStream(): Buffer {
  const events = [
    `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg', usage: { input_tokens: 10, output_tokens: 1 } } })}\n\n`,
    `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n`,
  ];
  for (let i = 0; i < DELTAS; i++) {
    events.push(
      `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: words(i) } })}\n\n`,
    );
  }
  events.push(
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":50000}}\n\n',
  );
  events.push('event: message_stop\ndata: {"type":"message_stop"}\n\n');
  return Buffer.from(events.join(''));
}

function awsAnthropicStream(): Buffer {
  const events = anthropicStream()
    .toString()
    .split('\n\n')
    .filter(Boolean)
    .map((block) => block.slice(block.indexOf('data: ') + 6));
  return Buffer.concat(
    events.map((data) =>
      encodeEventStreamMessage(
        { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' },
        Buffer.from(JSON.stringify({ bytes: Buffer.from(data).toString('base64') })),
      ),
    ),
  );
}

function geminiStream(): Buffer {
  const events: string[] = [];
  for (let i = 0; i < DELTAS; i++)
    events.push(
      `data: ${JSON.stringify({ responseId: 'r', candidates: [{ content: { role: 'model', parts: [{ text: words(i) }] } }] })}\r\n\r\n`,
    );
  events.push(
    `data: ${JSON.stringify({ candidates: [{ content: { parts: [] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: DELTAS, totalTokenCount: DELTAS + 10 } })}\r\n\r\n`,
  );
  return Buffer.from(events.join(''));
}

function bedrockStream(): Buffer {
  const frame = (type: string, payload: unknown) =>
    encodeEventStreamMessage(
      { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
      Buffer.from(JSON.stringify(payload)),
    );
  const frames = [frame('messageStart', { role: 'assistant' })];
  for (let i = 0; i < DELTAS; i++)
    frames.push(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: words(i) } }));
  frames.push(
    frame('messageStop', { stopReason: 'end_turn' }),
    frame('metadata', { usage: { inputTokens: 10, outputTokens: DELTAS, totalTokens: DELTAS + 10 } }),
  );
  return Buffer.concat(frames);
}

function openAIStream(): Buffer {
  const chunks: string[] = [];
  for (let i = 0; i < DELTAS; i++) {
    chunks.push(
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: words(i) }, finish_reason: null }] })}\n\n`,
    );
  }
  chunks.push(
    `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 10, completion_tokens: DELTAS, total_tokens: DELTAS + 10 } })}\n\ndata: [DONE]\n\n`,
  );
  return Buffer.from(chunks.join(''));
}

/** Feeds the whole stream in pieces, as many times as fit in the time budget; returns chunks/s and MB/s. */
function measure(
  upstream: Buffer,
  create: () => StreamTranslator,
): { chunksPerSecond: number; megabytesPerSecond: number } {
  let rounds = 0;
  const started = performance.now();
  while (performance.now() - started < ROUNDS_MS) {
    const translator = create();
    let out = 0;
    for (let at = 0; at < upstream.length; at += PIECE)
      out += translator.push(upstream.subarray(at, at + PIECE)).length;
    out += translator.end().length;
    if (out === 0 || translator.usage() === undefined) throw new Error('the translator produced nothing');
    rounds++;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    chunksPerSecond: (rounds * DELTAS) / seconds,
    megabytesPerSecond: (rounds * upstream.length) / seconds / 1e6,
  };
}

const config = parseExtProcConfig(`
backends:
  - { name: anthropic, schema: Anthropic }
  - { name: bedrock, schema: AWSBedrock }
  - { name: vertex, schema: GCPVertexAI, gcp: { projectName: p, region: r } }
  - { name: aws-anthropic, schema: AWSAnthropic }
  - { name: openai, schema: OpenAI }
`);
const translator = (api: ClientApi, backend: string) => () =>
  selectTranslator(api, config.backends.get(backend)!)!.stream(context);

const cases: [string, Buffer, () => StreamTranslator][] = [
  ['openai_to_anthropic', anthropicStream(), translator('openai.chat', 'anthropic')],
  ['openai_to_bedrock', bedrockStream(), translator('openai.chat', 'bedrock')],
  ['openai_to_gemini', geminiStream(), translator('openai.chat', 'vertex')],
  ['openai_to_aws_anthropic', awsAnthropicStream(), translator('openai.chat', 'aws-anthropic')],
  ['anthropic_to_openai', openAIStream(), translator('anthropic.messages', 'openai')],
  ['anthropic_to_bedrock', bedrockStream(), translator('anthropic.messages', 'bedrock')],
  ['anthropic_passthrough', anthropicStream(), translator('anthropic.messages', 'anthropic')],
  ['openai_passthrough', openAIStream(), translator('openai.chat', 'openai')],
];
for (const [name, upstream, create] of cases) {
  const { chunksPerSecond, megabytesPerSecond } = measure(upstream, create);
  report('extproc.stream', `${name}_chunks_per_second`, chunksPerSecond, 'chunks/s');
  report('extproc.stream', `${name}_upstream_throughput`, megabytesPerSecond, 'MB/s');
}
