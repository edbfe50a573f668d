// Anthropic Messages clients on Anthropic-schema upstreams (Anthropic, Anthropic on Vertex, Anthropic on
// Bedrock): the body passes through with the model overridden (or moved to the path), responses are read for
// token usage; Bedrock's event-stream frames are re-framed as the server-sent events the client expects.

import { ANTHROPIC_VERSION } from './anthropic-upstream.ts';
import {
  awsAnthropicEvents,
  bedrockInvokePath,
  prefixPath,
  vertexAnthropicPath,
} from './chat-translators.ts';
import { anthropicErrorBody, anthropicErrorType, parseJsonObject } from './client-errors.ts';
import { converseUpstreamError } from './converse-upstream.ts';
import type { VertexLocation } from './gemini-upstream.ts';
import { PassthroughUsageStream } from './passthrough-usage-stream.ts';
import { sseNamedEvent } from './sse.ts';
import { type TokenUsage, usageFromAnthropic } from './token-usage.ts';
import type { StreamTranslator, TranslationContext, Translator } from './translator.ts';
import { utf8 } from './utf8.ts';

interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

function foldUsage(usage: Usage | undefined, event: Record<string, unknown> | undefined): Usage | undefined {
  const read = event as { message?: { usage?: Usage }; usage?: Usage } | undefined;
  const update = read?.message?.usage ?? read?.usage;
  if (update === undefined) return usage;
  const next: Record<string, unknown> = { ...usage };
  for (const [key, value] of Object.entries(update))
    if (value !== null && value !== undefined) next[key] = value;
  return next as Usage;
}

/** Reads usage from `message_start` and `message_delta` events, forwarding bytes untouched. */
export class AnthropicUsageStream extends PassthroughUsageStream<Usage> {
  constructor() {
    super(foldUsage, usageFromAnthropic);
  }
}

/** An Anthropic error passes through; anything else is wrapped in Anthropic's shape. */
export function anthropicError(status: number, body: Uint8Array): string {
  const parsed = parseJsonObject(body) as
    | { type?: string; error?: { type?: string; message?: string } }
    | undefined;
  if (parsed?.type === 'error' && parsed.error !== undefined) return JSON.stringify(parsed);
  const message = parsed?.error?.message ?? (utf8(body) || `upstream status ${status}`);
  return anthropicErrorBody(message, parsed?.error?.type ?? anthropicErrorType(status));
}

function readWhole(body: Uint8Array): { body: string; usage: TokenUsage | undefined } {
  const text = utf8(body);
  const usage = (parseJsonObject(text) as { usage?: Usage } | undefined)?.usage;
  return { body: text, usage: usage === undefined ? undefined : usageFromAnthropic(usage) };
}

function passthrough(
  path: (context: TranslationContext) => string,
  shape: (body: Record<string, unknown>, context: TranslationContext) => Record<string, unknown>,
  headers: Readonly<Record<string, string>>,
): Translator {
  return {
    rewritesResponse: false,
    request: (body, context) => ({
      path: path(context),
      body: JSON.stringify(shape({ ...body, model: context.model }, context)),
      headers,
    }),
    response: readWhole,
    stream: () => new AnthropicUsageStream(),
    error: anthropicError,
  };
}

export function anthropicMessagesTranslator(prefix = 'v1'): Translator {
  const path = `${prefixPath(prefix)}/messages`;
  return passthrough(
    () => path,
    (body) => body,
    { 'anthropic-version': ANTHROPIC_VERSION },
  );
}

/** Drops `model` (it is in the path) and adds the platform's anthropic_version. */
function withoutModel(body: Record<string, unknown>, version: string): Record<string, unknown> {
  const { model: _model, ...rest } = body;
  return { anthropic_version: version, ...rest };
}

export function gcpAnthropicMessagesTranslator(location: VertexLocation, version: string): Translator {
  return passthrough(
    (context) => vertexAnthropicPath(location, context.model, context.stream),
    (body) => withoutModel(body, version),
    {},
  );
}

/** Betas Bedrock accepts in `anthropic_beta` (Envoy AI Gateway's list); others would fail the request. */
const BEDROCK_BETAS = new Set([
  'computer-use-2024-10-22',
  'computer-use-2025-01-24',
  'context-1m-2025-08-07',
  'context-management-2025-06-27',
  'dev-full-thinking-2025-05-14',
  'fine-grained-tool-streaming-2025-05-14',
  'interleaved-thinking-2025-05-14',
  'mcp-client-2025-04-04',
  'mcp-client-2025-11-20',
  'model-context-window-exceeded-2025-08-26',
  'output-128k-2025-02-19',
  'pdfs-2024-09-25',
  'search-results-2025-06-09',
  'token-counting-2024-11-01',
  'token-efficient-tools-2025-02-19',
  'tool-search-tool-2025-10-19',
  'web-search-2025-03-05',
]);
const BEDROCK_BETA_ALIASES: Readonly<Record<string, string>> = {
  'advanced-tool-use-2025-11-20': 'tool-search-tool-2025-10-19',
};

/** The client's `anthropic-beta` header as Bedrock's `anthropic_beta` body field (supported betas only). */
export function bedrockBetas(header: string | undefined): string[] {
  const betas: string[] = [];
  for (const raw of header?.split(',') ?? []) {
    const name = raw.trim();
    const beta = BEDROCK_BETA_ALIASES[name] ?? name;
    if (BEDROCK_BETAS.has(beta) && !betas.includes(beta)) betas.push(beta);
  }
  return betas;
}

/** Bedrock's stream of base64 events written back as Anthropic's server-sent events, read for usage on the way. */
class AwsAnthropicEventStream implements StreamTranslator {
  #out = '';
  #usage: Usage | undefined;
  readonly #reader = awsAnthropicEvents(
    (event) => {
      this.#usage = foldUsage(this.#usage, event);
      this.#out += sseNamedEvent(String(event.type ?? 'message'), event);
    },
    {
      error: (error) => {
        this.#out += sseNamedEvent('error', {
          type: 'error',
          error: { type: error.type, message: error.message },
        });
      },
    },
  );

  push(chunk: Uint8Array): string {
    this.#reader.push(chunk);
    const out = this.#out;
    this.#out = '';
    return out;
  }

  end(): string {
    return '';
  }

  usage(): TokenUsage | undefined {
    return this.#usage === undefined ? undefined : usageFromAnthropic(this.#usage);
  }
}

export function awsAnthropicMessagesTranslator(version: string): Translator {
  return {
    rewritesResponse: true,
    streamContentType: 'text/event-stream',
    request: (body, context) => {
      const { model: _model, stream: _stream, ...rest } = body;
      const betas = bedrockBetas(context.headers?.['anthropic-beta']);
      return {
        path: bedrockInvokePath(context.model, context.stream),
        body: JSON.stringify({
          anthropic_version: version,
          ...rest,
          ...(betas.length > 0 ? { anthropic_beta: betas } : {}),
        }),
        headers: { 'content-type': 'application/json' },
      };
    },
    response: readWhole,
    stream: () => new AwsAnthropicEventStream(),
    error: awsAnthropicError,
  };
}

/** Bedrock's error (its type in `x-amzn-errortype`) in Anthropic's shape. */
export function awsAnthropicError(
  status: number,
  body: Uint8Array,
  headers: Readonly<Record<string, string>>,
): string {
  const error = converseUpstreamError(status, body, headers);
  return anthropicErrorBody(error.message, error.type ?? anthropicErrorType(status));
}
