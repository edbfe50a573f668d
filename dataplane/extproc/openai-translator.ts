// OpenAI-compatible upstreams (OpenAI itself, Azure OpenAI): the body passes through with the model
// name overridden; responses are only read, for token usage.
import { openAIErrorBody, openAIErrorType, parseJsonObject } from './client-errors.ts';
import { PassthroughUsageStream } from './passthrough-usage-stream.ts';
import { type TokenUsage, usageFromOpenAI } from './token-usage.ts';
import type { ClientApi, TranslationContext, Translator } from './translator.ts';
import { utf8 } from './utf8.ts';

export const OPENAI_PATHS: Readonly<Record<Exclude<ClientApi, 'anthropic.messages'>, string>> = {
  'openai.chat': '/v1/chat/completions',
  'openai.completions': '/v1/completions',
  'openai.embeddings': '/v1/embeddings',
};

/** Reads usage out of a passed-through OpenAI stream (the chunk carrying `usage`), leaving bytes untouched. */
export class OpenAIUsageStream extends PassthroughUsageStream<TokenUsage> {
  constructor() {
    super(
      (usage, event) => usageFromOpenAI(event?.usage) ?? usage,
      (usage) => usage,
    );
  }
}

/** OpenAI's error shape is already the client's; non-JSON bodies (proxies, HTML) are wrapped. */
export function openAIErrorPassthrough(status: number, body: Uint8Array): string {
  const parsed = parseJsonObject(body);
  if (parsed?.error !== undefined && typeof parsed.error === 'object') return JSON.stringify(parsed);
  return openAIErrorBody(utf8(body) || `upstream status ${status}`, openAIErrorType(status));
}

export function openAICompatibleTranslator(path: (context: TranslationContext) => string): Translator {
  return {
    rewritesResponse: false,
    request: (body, context) => ({
      path: path(context),
      body: JSON.stringify(body.model === context.model ? body : { ...body, model: context.model }),
      headers: {},
    }),
    response: (body) => {
      const text = utf8(body);
      return { body: text, usage: usageFromOpenAI(parseJsonObject(text)?.usage) };
    },
    stream: () => new OpenAIUsageStream(),
    error: openAIErrorPassthrough,
  };
}

/** OpenAI itself: the client's path is kept. */
export function openAITranslator(api: Exclude<ClientApi, 'anthropic.messages'>): Translator {
  return openAICompatibleTranslator(() => OPENAI_PATHS[api]);
}
