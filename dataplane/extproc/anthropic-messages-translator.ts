// Clients speaking Anthropic's `/v1/messages` to Anthropic-schema upstreams (Anthropic, Vertex Anthropic):
// the body passes through with the model overridden; responses are read for token usage.
import { ANTHROPIC_VERSION, usageFromAnthropic } from './anthropic-translator.ts';
import { anthropicErrorBody, anthropicErrorType, parseJsonObject } from './client-errors.ts';
import { vertexAnthropicBody, vertexAnthropicPath } from './gcp-anthropic-translator.ts';
import type { VertexLocation } from './gemini-translator.ts';
import { PassthroughUsageStream } from './passthrough-usage-stream.ts';
import type { Translator } from './translator.ts';
import { utf8 } from './utf8.ts';

interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/** Reads usage from `message_start` and `message_delta` events, forwarding bytes untouched. */
export class AnthropicUsageStream extends PassthroughUsageStream<Usage> {
  constructor() {
    super((usage, event) => {
      const read = event as { message?: { usage?: Usage }; usage?: Usage } | undefined;
      const update = read?.message?.usage ?? read?.usage;
      return update === undefined ? usage : { ...usage, ...update };
    }, usageFromAnthropic);
  }
}

function anthropicError(status: number, body: Uint8Array): string {
  const parsed = parseJsonObject(body) as
    | { type?: string; error?: { type?: string; message?: string } }
    | undefined;
  if (parsed?.type === 'error' && parsed.error !== undefined) return JSON.stringify(parsed);
  const message = parsed?.error?.message ?? (utf8(body) || `upstream status ${status}`);
  return anthropicErrorBody(message, anthropicErrorType(status));
}

function passthrough(
  path: (model: string, stream: boolean) => string,
  shape: (body: Record<string, unknown>) => Record<string, unknown>,
  headers: Readonly<Record<string, string>>,
): Translator {
  return {
    rewritesResponse: false,
    request: (body, context) => ({
      path: path(context.model, context.stream),
      body: JSON.stringify(shape({ ...body, model: context.model })),
      headers,
    }),
    response: (body) => {
      const text = utf8(body);
      const usage = (parseJsonObject(text) as { usage?: Usage } | undefined)?.usage;
      return { body: text, usage: usage === undefined ? undefined : usageFromAnthropic(usage) };
    },
    stream: () => new AnthropicUsageStream(),
    error: anthropicError,
  };
}

export function anthropicMessagesTranslator(): Translator {
  return passthrough(
    () => '/v1/messages',
    (body) => body,
    { 'anthropic-version': ANTHROPIC_VERSION },
  );
}

export function gcpAnthropicMessagesTranslator(location: VertexLocation): Translator {
  return passthrough(
    (model, stream) => vertexAnthropicPath(location, model, stream),
    vertexAnthropicBody,
    {},
  );
}
