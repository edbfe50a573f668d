// vLLM's /tokenize on upstreams that can only count tokens, as Envoy AI Gateway answers it there: the request read as
// a chat (a completion's prompt as one user message), translated as the chat would be, and its messages, system
// prompt and tools counted by the upstream's token counting — Anthropic on Vertex and on Bedrock (their Anthropic
// count), Gemini on Vertex (`countTokens`) and Bedrock's Converse models (CountTokens with a Converse input). The
// answer is the count alone (`{"count":N,"max_model_len":0,"tokens":null}`, Envoy AI Gateway's shape: no token ids).
import { bedrockCountTokensPath } from './anthropic-count-tokens.ts';
import { parseJsonObject } from './client-errors.ts';
import { type VertexLocation, vertexModelPath } from './gemini-upstream.ts';
import { checkedTokenize } from './openai-translator.ts';
import {
  type TranslationContext,
  TranslationError,
  type Translator,
  type UpstreamRequest,
} from './translator.ts';

/** How one upstream counts the chat a tokenize request stands for. */
export interface TokenCounter {
  /** The count request, from the chat's translated body (the upstream's chat API) and the client's body. */
  request(
    chat: Record<string, unknown>,
    client: Record<string, unknown>,
    context: TranslationContext,
  ): UpstreamRequest;
  /** The count in the upstream's answer; undefined when it holds none. */
  count(body: Uint8Array, context: TranslationContext): number | undefined;
  /** What the answer lacks when it holds no count. */
  readonly missing: string;
}

/**
 * `chat` translates an OpenAI chat request for the upstream; `counter` counts the translated chat. The upstream's
 * errors come back in OpenAI's shape, as the chat translator writes them.
 */
export function tokenizeByCounting(chat: Translator, counter: TokenCounter): Translator {
  return {
    rewritesResponse: true,
    request: (body, context) => {
      checkedTokenize(body, context);
      const messages = body.messages ?? [
        { role: 'user', content: typeof body.prompt === 'string' ? body.prompt : '' },
      ];
      const translated = parseJsonObject(
        chat.request({ model: body.model, messages, tools: body.tools }, context).body,
      );
      return counter.request(translated ?? {}, body, context);
    },
    response: (body, context) => {
      const count = counter.count(body, context);
      if (count === undefined)
        throw new TranslationError(`the upstream token count has no ${counter.missing}`);
      return { body: JSON.stringify({ count, max_model_len: 0, tokens: null }), usage: undefined };
    },
    stream: () => {
      throw new TranslationError('tokenize is not streamed');
    },
    error: chat.error,
  };
}

/** The fields of `body` that are set, in that order. */
function pick(body: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const field of fields) if (body[field] !== undefined) picked[field] = body[field];
  return picked;
}

function countIn(body: Uint8Array, field: string): number | undefined {
  const count = parseJsonObject(body)?.[field];
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : undefined;
}

/** Anthropic's own counting (`count`, the Anthropic count_tokens translator of the backend) of the Messages body. */
export function anthropicCounter(count: Translator): TokenCounter {
  return {
    request: (chat, _client, context) => count.request(pick(chat, ANTHROPIC_COUNTED), context),
    count: (body, context) => {
      const counted = parseJsonObject(count.response(body, context).body)?.input_tokens;
      return typeof counted === 'number' ? counted : undefined;
    },
    missing: 'input_tokens',
  };
}
const ANTHROPIC_COUNTED = ['messages', 'system', 'tools', 'tool_choice'];

/**
 * Gemini's `countTokens` (Vertex): the generateContent body's contents, system instruction and tools; of the
 * generation settings only `mediaResolution` changes an input's count, taken from the client's `media_resolution`
 * as Envoy AI Gateway does. The answer's `totalTokens` is the count.
 */
export function geminiCounter(location: VertexLocation): TokenCounter {
  return {
    request: (chat, client, context) => {
      const body = pick(chat, ['contents', 'systemInstruction', 'tools']);
      if (typeof client.media_resolution === 'string' && client.media_resolution !== '')
        body.generationConfig = { mediaResolution: client.media_resolution };
      return {
        path: `${vertexModelPath(location, 'google', context.model)}:countTokens`,
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      };
    },
    count: (body) => countIn(body, 'totalTokens'),
    missing: 'totalTokens',
  };
}

/** Geography prefixes of Bedrock's cross-region inference profiles, which CountTokens does not take. */
const INFERENCE_PROFILE_PREFIXES = ['us-gov.', 'us.', 'eu.', 'apac.', 'uk.', 'au.', 'jp.', 'global.'];

/**
 * Bedrock's CountTokens with a Converse input: the Converse body's messages, system prompt and tool
 * configuration, for the foundation model (an inference profile's geography prefix removed). `inputTokens` is
 * the count.
 */
export function converseCounter(): TokenCounter {
  return {
    request: (chat, _client, context) => {
      const prefix = INFERENCE_PROFILE_PREFIXES.find((p) => context.model.startsWith(p));
      const model = prefix === undefined ? context.model : context.model.slice(prefix.length);
      return {
        path: bedrockCountTokensPath(model),
        body: JSON.stringify({ input: { converse: pick(chat, ['messages', 'system', 'toolConfig']) } }),
        headers: { 'content-type': 'application/json' },
      };
    },
    count: (body) => countIn(body, 'inputTokens'),
    missing: 'inputTokens',
  };
}
