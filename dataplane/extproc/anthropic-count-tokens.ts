// Anthropic's token counting (`/v1/messages/count_tokens`) for Anthropic Messages clients, on the upstreams
// that count Anthropic bodies: Anthropic itself (passed through), Anthropic on Vertex (the `count-tokens` model's
// rawPredict) and Bedrock's CountTokens (the InvokeModel body, base64-encoded, in `input.invokeModel.body`;
// the answer `{inputTokens}` written back as `{input_tokens}`). Envoy AI Gateway's pairs; the count is reported
// as the request's input tokens, as it reports it.
import { anthropicError, awsAnthropicError } from './anthropic-messages-translator.ts';
import { ANTHROPIC_VERSION } from './anthropic-upstream.ts';
import { prefixPath } from './chat-translators.ts';
import { parseJsonObject } from './client-errors.ts';
import { type VertexLocation, vertexModelPath } from './gemini-upstream.ts';
import { type TokenUsage, tokenUsage } from './token-usage.ts';
import { TranslationError, type Translator } from './translator.ts';
import { utf8 } from './utf8.ts';

/** The count of a `{input_tokens}` (or Bedrock's `{inputTokens}`) answer, when it holds one. */
function countOf(body: Uint8Array, field: 'input_tokens' | 'inputTokens'): number | undefined {
  const count = parseJsonObject(body)?.[field];
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : undefined;
}

const countUsage = (count: number | undefined): TokenUsage | undefined =>
  count === undefined ? undefined : tokenUsage(count, 0);

const NOT_STREAMED = 'token counting is not streamed: leave out `stream`';

const noStream = (): never => {
  throw new TranslationError(NOT_STREAMED);
};

/** A count answers once: a request asking for a stream is refused before any upstream sees it. */
function unstreamed(request: Translator['request']): Translator['request'] {
  return (body, context) => {
    if (body.stream === true) throw new TranslationError(NOT_STREAMED);
    return request(body, context);
  };
}

/** Anthropic and Anthropic on Vertex answer `{input_tokens}` already: read for usage, passed through. */
function countPassthrough(
  request: Translator['request'],
  headers: Readonly<Record<string, string>>,
): Translator {
  return {
    rewritesResponse: false,
    request: unstreamed((body, context) => {
      const upstream = request(body, context);
      return { ...upstream, headers: { ...headers, ...upstream.headers } };
    }),
    response: (body) => ({ body: utf8(body), usage: countUsage(countOf(body, 'input_tokens')) }),
    stream: noStream,
    error: anthropicError,
  };
}

export function anthropicCountTokensTranslator(prefix = 'v1'): Translator {
  const path = `${prefixPath(prefix)}/messages/count_tokens`;
  return countPassthrough(
    (body, context) => ({ path, body: JSON.stringify({ ...body, model: context.model }), headers: {} }),
    { 'anthropic-version': ANTHROPIC_VERSION },
  );
}

/** Vertex counts with a virtual model, `count-tokens`, whose body names the model (without `@latest`/`@default`). */
export function gcpAnthropicCountTokensTranslator(location: VertexLocation, version: string): Translator {
  const path = `${vertexModelPath(location, 'anthropic', 'count-tokens')}:rawPredict`;
  return countPassthrough(
    (body, context) => ({
      path,
      body: JSON.stringify({
        anthropic_version: version,
        ...body,
        model: context.model.replace(/@(default|latest)$/, ''),
      }),
      headers: {},
    }),
    { 'content-type': 'application/json' },
  );
}

/**
 * Bedrock's CountTokens takes a foundation model id: a cross-region inference profile (`us.anthropic.…`) is
 * counted by its model (`anthropic.…`).
 */
export function bedrockCountTokensPath(model: string): string {
  const at = model.indexOf('anthropic.');
  return `/model/${encodeURIComponent(at > 0 ? model.slice(at) : model)}/count-tokens`;
}

export function awsAnthropicCountTokensTranslator(version: string): Translator {
  return {
    rewritesResponse: true,
    request: unstreamed((body, context) => {
      const { model: _model, ...rest } = body;
      // InvokeModel needs max_tokens; counting does not use it.
      const invoke = { anthropic_version: version, max_tokens: 1, ...rest };
      return {
        path: bedrockCountTokensPath(context.model),
        body: JSON.stringify({
          input: { invokeModel: { body: Buffer.from(JSON.stringify(invoke)).toString('base64') } },
        }),
        headers: { 'content-type': 'application/json' },
      };
    }),
    response: (body) => {
      const count = countOf(body, 'inputTokens');
      if (count === undefined) throw new TranslationError("Bedrock's token count has no inputTokens");
      return { body: JSON.stringify({ input_tokens: count }), usage: countUsage(count) };
    },
    stream: noStream,
    error: awsAnthropicError,
  };
}
