// The fake OpenAI-compatible providers (OpenAI, Azure OpenAI) of fake-providers.ts: chat completions (whole and
// streamed), the Responses API, embeddings, speech and transcription uploads, in OpenAI's wire format.
import type { ServerResponse } from 'node:http';
import {
  CANONICAL,
  type FakeProvider,
  json,
  type ReceivedRequest,
  type Stream,
  sse,
  startProvider,
  writeAll,
} from './fake-provider-server.ts';

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
