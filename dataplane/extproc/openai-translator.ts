// OpenAI-compatible upstreams (OpenAI itself, Azure OpenAI) for OpenAI clients: the body passes through with
// the model name overridden; responses are only read, for token usage (each API reports it its own way).

import { prefixPath } from './chat-translators.ts';
import { openAIErrorBody, openAIErrorType, parseJsonObject } from './client-errors.ts';
import { withFields } from './multipart-form.ts';
import { PassthroughUsageStream } from './passthrough-usage-stream.ts';
import { type TokenUsage, tokenUsage, usageFromOpenAI } from './token-usage.ts';
import {
  type ClientApi,
  type StreamTranslator,
  type TranslationContext,
  TranslationError,
  type Translator,
} from './translator.ts';
import { utf8 } from './utf8.ts';

export type OpenAIApi = Extract<ClientApi, `openai.${string}`>;

/** The path after the prefix (`v1` by default) of each OpenAI API. */
export const OPENAI_OPERATIONS: Readonly<Record<OpenAIApi, string>> = {
  'openai.chat': 'chat/completions',
  'openai.completions': 'completions',
  'openai.embeddings': 'embeddings',
  'openai.responses': 'responses',
  'openai.responses_input_tokens': 'responses/input_tokens',
  'openai.images': 'images/generations',
  'openai.speech': 'audio/speech',
  'openai.transcriptions': 'audio/transcriptions',
  'openai.translations': 'audio/translations',
  'openai.tokenize': 'tokenize',
};

/** The Responses API's usage: input/output tokens with cached and reasoning details. */
export function usageFromResponses(value: unknown): TokenUsage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const usage = value as {
    input_tokens?: number;
    output_tokens?: number;
    total_tokens?: number;
    input_tokens_details?: { cached_tokens?: number } | null;
    output_tokens_details?: { reasoning_tokens?: number } | null;
  };
  const input = usage.input_tokens ?? 0;
  const output = usage.output_tokens ?? 0;
  return tokenUsage(input, output, {
    cached: usage.input_tokens_details?.cached_tokens ?? 0,
    reasoning: usage.output_tokens_details?.reasoning_tokens ?? 0,
    total: usage.total_tokens ?? input + output,
  });
}

/** Reads usage out of a passed-through OpenAI stream (the chunk carrying `usage`), leaving bytes untouched. */
export class OpenAIUsageStream extends PassthroughUsageStream<TokenUsage> {
  constructor() {
    super(
      (usage, event) => usageFromOpenAI(event?.usage) ?? usage,
      (usage) => usage,
    );
  }
}

/** The Responses API streams `response.completed` (or `.incomplete`, `.failed`) with the whole response's usage. */
export class ResponsesUsageStream extends PassthroughUsageStream<TokenUsage> {
  constructor() {
    super(
      (usage, event) => {
        const response = event?.response as { usage?: unknown } | undefined;
        return usageFromResponses(response?.usage) ?? usage;
      },
      (usage) => usage,
    );
  }
}

/**
 * Image generation streams end with `image_generation.completed`, speech's with `speech.audio.done`: the event's
 * own `usage`, in the Responses API's units.
 */
export class ImagesUsageStream extends PassthroughUsageStream<TokenUsage> {
  constructor() {
    super(
      (usage, event) => usageFromResponses(event?.usage) ?? usage,
      (usage) => usage,
    );
  }
}

/** A transcription stream's usage comes with `transcript.text.done`. */
class AudioUsageStream extends PassthroughUsageStream<TokenUsage> {
  constructor() {
    super(
      (usage, event) => audioTokens(event?.usage) ?? usage,
      (usage) => usage,
    );
  }
}

/** How each API reports usage in a whole body and in a stream. */
const USAGE: Readonly<
  Record<
    OpenAIApi,
    {
      body: (body: Record<string, unknown> | undefined) => TokenUsage | undefined;
      stream: () => StreamTranslator;
    }
  >
> = {
  'openai.chat': { body: (body) => usageFromOpenAI(body?.usage), stream: () => new OpenAIUsageStream() },
  'openai.completions': {
    body: (body) => usageFromOpenAI(body?.usage),
    stream: () => new OpenAIUsageStream(),
  },
  'openai.embeddings': {
    body: (body) => usageFromOpenAI(body?.usage),
    stream: () => new OpenAIUsageStream(),
  },
  'openai.responses': {
    body: (body) => usageFromResponses(body?.usage),
    stream: () => new ResponsesUsageStream(),
  },
  'openai.images': { body: (body) => usageFromResponses(body?.usage), stream: () => new ImagesUsageStream() },
  // Generated audio is not read (leavesResponseUnread); its server-sent events end with `speech.audio.done`,
  // whose usage is in the Responses API's units.
  'openai.speech': { body: () => undefined, stream: () => new ImagesUsageStream() },
  // gpt-4o-transcribe reports tokens (`usage.type: tokens`), whisper-1 seconds of audio (`duration`, not
  // counted); a stream's usage comes with `transcript.text.done`. Envoy AI Gateway counts neither.
  'openai.transcriptions': { body: (body) => audioTokens(body?.usage), stream: () => new AudioUsageStream() },
  'openai.translations': { body: (body) => audioTokens(body?.usage), stream: () => new AudioUsageStream() },
  // vLLM's tokenizer: token ids, no usage (Envoy AI Gateway counts none either).
  'openai.tokenize': { body: () => undefined, stream: () => new OpenAIUsageStream() },
  // A count of the input a response would take: its input tokens, as Envoy AI Gateway reports it.
  'openai.responses_input_tokens': {
    body: (body) => (typeof body?.input_tokens === 'number' ? tokenUsage(body.input_tokens, 0) : undefined),
    stream: () => new OpenAIUsageStream(),
  },
};

/** Token usage of an audio upload's answer; undefined for usage in seconds (whisper-1) or none. */
function audioTokens(value: unknown): TokenUsage | undefined {
  if (value === null || typeof value !== 'object' || (value as { type?: unknown }).type === 'duration')
    return undefined;
  return usageFromResponses(value);
}

/**
 * A tokenize request is a completion's (`prompt`) or a chat's (`messages`), as vLLM's /tokenize takes it; Envoy AI
 * Gateway refuses one with both, and a chat continuing its final message while adding a generation prompt.
 */
export function checkedTokenize(
  body: Record<string, unknown>,
  context: TranslationContext,
): TranslationContext {
  if (body.prompt !== undefined && body.messages !== undefined)
    throw new TranslationError("a tokenize request has either 'prompt' or 'messages', not both", 400);
  if (
    body.messages !== undefined &&
    body.continue_final_message === true &&
    body.add_generation_prompt !== false
  )
    throw new TranslationError(
      'cannot set both continue_final_message and add_generation_prompt to true',
      400,
    );
  return context;
}

/** OpenAI's error shape is already the client's; non-JSON bodies (proxies, HTML) are wrapped. */
export function openAIErrorPassthrough(status: number, body: Uint8Array): string {
  const parsed = parseJsonObject(body);
  if (parsed?.error !== undefined && typeof parsed.error === 'object') return JSON.stringify(parsed);
  return openAIErrorBody(utf8(body) || `upstream status ${status}`, openAIErrorType(status), String(status));
}

export function openAICompatibleTranslator(
  api: OpenAIApi,
  path: (context: TranslationContext) => string,
): Translator {
  const usage = USAGE[api];
  return {
    rewritesResponse: false,
    ...(api === 'openai.speech' ? { leavesResponseUnread: true, streamedByContentType: true } : {}),
    ...(api === 'openai.transcriptions' || api === 'openai.translations'
      ? { streamedByContentType: true }
      : {}),
    request: (body, context) => ({
      path: path(api === 'openai.tokenize' ? checkedTokenize(body, context) : context),
      headers: {},
      // A form (audio uploads) keeps every part as sent but the model's value.
      ...(context.form !== undefined
        ? { body: '', formBody: withFields(context.form, { model: context.model }) }
        : { body: JSON.stringify(body.model === context.model ? body : { ...body, model: context.model }) }),
    }),
    response: (body) => {
      const text = utf8(body);
      return { body: text, usage: usage.body(parseJsonObject(text)) };
    },
    stream: usage.stream,
    error: openAIErrorPassthrough,
  };
}

/**
 * OpenAI itself (or any OpenAI-compatible API): `<prefix>/<operation>`, the prefix `v1` by default; vLLM's
 * `/tokenize` at the root, as Envoy AI Gateway sends it.
 */
export function openAITranslator(api: OpenAIApi, prefix = 'v1'): Translator {
  const path = api === 'openai.tokenize' ? '/tokenize' : `${prefixPath(prefix)}/${OPENAI_OPERATIONS[api]}`;
  return openAICompatibleTranslator(api, () => path);
}

/**
 * Azure OpenAI: the deployment (the overridden model name, as Azure names deployments after models by default)
 * in the path and the api-version as a query parameter; the Responses API (and its input token count) takes the
 * model in the body instead.
 */
export function azureOpenAIPath(api: OpenAIApi, apiVersion: string): (context: TranslationContext) => string {
  const version = `api-version=${encodeURIComponent(apiVersion)}`;
  if (api === 'openai.responses') return () => `/openai/responses?${version}`;
  if (api === 'openai.responses_input_tokens') return () => `/openai/responses/input_tokens?${version}`;
  return (context) =>
    `/openai/deployments/${encodeURIComponent(context.model)}/${OPENAI_OPERATIONS[api]}?${version}`;
}

export function azureOpenAITranslator(api: OpenAIApi, apiVersion: string): Translator {
  return openAICompatibleTranslator(api, azureOpenAIPath(api, apiVersion));
}
