// Cohere's rerank (`/cohere/v2/rerank`) on Cohere backends, as Envoy AI Gateway serves it: the body passes through
// with the model overridden to `/<version>/rerank` (version `v2` by default); the answer is read for usage from
// `meta.tokens` (input and output tokens); an error that is not JSON becomes Cohere's `{"message"}`.
import { prefixPath } from './chat-translators.ts';
import { cohereErrorBody, parseJsonObject } from './client-errors.ts';
import { type TokenUsage, tokenUsage } from './token-usage.ts';
import { TranslationError, type Translator } from './translator.ts';
import { utf8 } from './utf8.ts';

/** `meta.tokens` of a rerank answer, when it reports any. */
function rerankUsage(body: Record<string, unknown> | undefined): TokenUsage | undefined {
  const tokens = (body?.meta as { tokens?: { input_tokens?: unknown; output_tokens?: unknown } } | undefined)
    ?.tokens;
  if (tokens === undefined || tokens === null) return undefined;
  const count = (value: unknown) => (typeof value === 'number' && value >= 0 ? Math.round(value) : 0);
  return tokenUsage(count(tokens.input_tokens), count(tokens.output_tokens));
}

export function cohereRerankTranslator(version = 'v2'): Translator {
  const path = `${prefixPath(version)}/rerank`;
  return {
    rewritesResponse: false,
    request: (body, context) => {
      if (body.stream === true) throw new TranslationError('rerank is not streamed: leave out `stream`');
      return { path, body: JSON.stringify({ ...body, model: context.model }), headers: {} };
    },
    response: (body) => {
      const text = utf8(body);
      return { body: text, usage: rerankUsage(parseJsonObject(text)) };
    },
    stream: () => {
      throw new TranslationError('rerank is not streamed');
    },
    error: (status, body) => {
      const parsed = parseJsonObject(body);
      if (typeof parsed?.message === 'string') return JSON.stringify(parsed);
      return cohereErrorBody(utf8(body).trim() || `upstream status ${status}`);
    },
  };
}
