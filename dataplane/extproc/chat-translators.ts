// Translators between the two chat-like client APIs (OpenAI chat completions, Anthropic Messages) and every
// chat-like upstream, composed from one reader/writer per client API and one request/reply/stream/error part
// per upstream: the client's request is read into a Conversation, written in the upstream's shape, and the
// upstream's reply (whole or streamed) read into a Reply or ReplySink that writes the client's shape.
import {
  AnthropicEventWriter,
  anthropicErrorFromUpstream,
  anthropicMessageBody,
} from './anthropic-message-writer.ts';
import { conversationFromMessages } from './anthropic-messages-reader.ts';
import {
  ANTHROPIC_VERSION,
  AnthropicEventReader,
  anthropicRequestBody,
  anthropicUpstreamError,
  replyFromAnthropic,
} from './anthropic-upstream.ts';
import { EventStreamDecoder } from './aws-event-stream.ts';
import { parseJsonObject } from './client-errors.ts';
import type { Conversation } from './conversation.ts';
import {
  ConverseStreamReader,
  converseRequestBody,
  converseUpstreamError,
  replyFromConverse,
} from './converse-upstream.ts';
import {
  type GeminiResponse,
  GeminiStreamReader,
  geminiRequestBody,
  geminiUpstreamError,
  replyFromGemini,
  type VertexLocation,
  vertexModelPath,
} from './gemini-upstream.ts';
import { conversationFromChat } from './openai-chat-reader.ts';
import {
  ChatChunkReader,
  chatRequestBody,
  openAIUpstreamError,
  replyFromChatCompletion,
} from './openai-chat-upstream.ts';
import { ChatChunkWriter, chatCompletionBody, openAIErrorFromUpstream } from './openai-chat-writer.ts';
import type { ChatRequest } from './openai-schema.ts';
import type { Reply, ReplySink, UpstreamError } from './reply.ts';
import { SseParser } from './sse.ts';
import type { StreamTranslator, TranslationContext, Translator, UpstreamRequest } from './translator.ts';

/** The client side of a chat translation. */
export interface ChatClient {
  read(body: Record<string, unknown>): Conversation;
  write(reply: Reply, context: TranslationContext): string;
  sink(context: TranslationContext): ReplySink;
  error(status: number, error: UpstreamError): string;
}

/** Feeds upstream stream bytes to a ReplySink. */
export interface UpstreamStreamReader {
  push(chunk: Uint8Array): void;
  end(): void;
}

/** The upstream side of a chat translation. */
export interface ChatUpstream {
  request(conversation: Conversation, context: TranslationContext): UpstreamRequest;
  reply(body: Uint8Array, context: TranslationContext): Reply;
  stream(sink: ReplySink, context: TranslationContext): UpstreamStreamReader;
  error(status: number, body: Uint8Array, headers: Readonly<Record<string, string>>): UpstreamError;
  /** The upstream streams AWS event-stream frames, not server-sent events. */
  readonly eventStream?: boolean;
}

export const OPENAI_CHAT_CLIENT: ChatClient = {
  read: (body) => conversationFromChat(body as ChatRequest),
  write: chatCompletionBody,
  sink: (context) => new ChatChunkWriter(context),
  error: openAIErrorFromUpstream,
};

export const ANTHROPIC_CLIENT: ChatClient = {
  read: conversationFromMessages,
  write: anthropicMessageBody,
  sink: (context) => new AnthropicEventWriter(context),
  error: anthropicErrorFromUpstream,
};

export function chatTranslator(client: ChatClient, upstream: ChatUpstream): Translator {
  return {
    rewritesResponse: true,
    streamContentType: 'text/event-stream',
    request: (body, context) => upstream.request(client.read(body), context),
    response: (body, context) => {
      const reply = upstream.reply(body, context);
      return { body: client.write(reply, context), usage: reply.usage };
    },
    stream: (context): StreamTranslator => {
      const sink = client.sink(context);
      const reader = upstream.stream(sink, context);
      return {
        push: (chunk) => {
          reader.push(chunk);
          return sink.drain();
        },
        end: () => {
          reader.end();
          sink.end();
          return sink.drain();
        },
        usage: () => sink.lastUsage,
      };
    },
    error: (status, body, headers) => client.error(status, upstream.error(status, body, headers)),
  };
}

/** Server-sent events of JSON objects handed one by one to `event`. */
function sseJsonReader(event: (data: Record<string, unknown>) => void): UpstreamStreamReader {
  const parser = new SseParser();
  const each = (events: { data: string }[]) => {
    for (const { data } of events) {
      const parsed = parseJsonObject(data);
      if (parsed !== undefined) event(parsed);
    }
  };
  return { push: (chunk) => each(parser.push(chunk)), end: () => each(parser.end()) };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function anthropicFamily(
  request: UpstreamRequestBuilder,
  error: ChatUpstream['error'] = (status, body) => anthropicUpstreamError(status, body),
): ChatUpstream {
  return {
    request,
    reply: (body, context) => replyFromAnthropic(body, context.requestId),
    stream: (sink) => {
      const reader = new AnthropicEventReader(sink);
      return sseJsonReader((event) => reader.event(event));
    },
    error,
  };
}

type UpstreamRequestBuilder = (conversation: Conversation, context: TranslationContext) => UpstreamRequest;

/** `prefix` is the path before `/messages` (Envoy AI Gateway's schema prefix, default `v1`). */
export function anthropicUpstream(prefix: string): ChatUpstream {
  const path = `${prefixPath(prefix)}/messages`;
  return anthropicFamily((conversation, context) => ({
    path,
    body: JSON.stringify(anthropicRequestBody(conversation, context.model)),
    headers: { 'anthropic-version': ANTHROPIC_VERSION, ...JSON_HEADERS },
  }));
}

export function prefixPath(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

export function vertexAnthropicPath(location: VertexLocation, model: string, stream: boolean): string {
  return `${vertexModelPath(location, 'anthropic', model)}:${stream ? 'streamRawPredict' : 'rawPredict'}`;
}

/** Anthropic on Vertex: the Messages body without `model` (it is in the path), with Vertex's anthropic_version. */
export function gcpAnthropicUpstream(location: VertexLocation, version: string): ChatUpstream {
  return anthropicFamily((conversation, context) => ({
    path: vertexAnthropicPath(location, context.model, context.stream),
    body: JSON.stringify({ anthropic_version: version, ...anthropicRequestBody(conversation, undefined) }),
    headers: JSON_HEADERS,
  }));
}

export function bedrockInvokePath(model: string, stream: boolean): string {
  return `/model/${encodeURIComponent(model)}/${stream ? 'invoke-with-response-stream' : 'invoke'}`;
}

/**
 * Anthropic on Bedrock (InvokeModel): the Messages body without `model` and `stream` (both in the path), with
 * Bedrock's anthropic_version; a stream arrives as event-stream frames whose payload `bytes` is one Anthropic
 * event, base64-encoded.
 */
export function awsAnthropicUpstream(version: string): ChatUpstream {
  return {
    eventStream: true,
    request: (conversation, context) => {
      const { stream: _stream, ...body } = anthropicRequestBody(conversation, undefined);
      return {
        path: bedrockInvokePath(context.model, context.stream),
        body: JSON.stringify({ anthropic_version: version, ...body }),
        headers: JSON_HEADERS,
      };
    },
    reply: (body, context) => replyFromAnthropic(body, context.requestId),
    stream: (sink) => {
      const reader = new AnthropicEventReader(sink);
      return awsAnthropicEvents((event) => reader.event(event), sink);
    },
    error: converseUpstreamError,
  };
}

/** Bedrock InvokeModelWithResponseStream frames: each `chunk` event's payload carries one base64 JSON event. */
export function awsAnthropicEvents(
  event: (data: Record<string, unknown>) => void,
  sink: Pick<ReplySink, 'error'>,
): UpstreamStreamReader {
  const decoder = new EventStreamDecoder();
  return {
    push: (chunk) => {
      for (const message of decoder.push(chunk)) {
        const payload = parseJsonObject(message.payload) ?? {};
        if (message.headers[':message-type'] !== 'event') {
          sink.error({
            type: String(message.headers[':exception-type'] ?? 'InternalServerException'),
            message: String(payload.message ?? 'upstream stream error'),
          });
          continue;
        }
        if (typeof payload.bytes !== 'string') continue;
        const parsed = parseJsonObject(Buffer.from(payload.bytes, 'base64'));
        if (parsed !== undefined) event(parsed);
      }
    },
    end: () => {},
  };
}

export function converseUpstream(): ChatUpstream {
  return {
    eventStream: true,
    request: (conversation, context) => ({
      path: `/model/${encodeURIComponent(context.model)}/${context.stream ? 'converse-stream' : 'converse'}`,
      body: JSON.stringify(converseRequestBody(conversation)),
      headers: JSON_HEADERS,
    }),
    reply: (body, context) => replyFromConverse(body, context.requestId),
    stream: (sink) => new ConverseStreamReader(sink),
    error: converseUpstreamError,
  };
}

export function geminiUpstream(location: VertexLocation): ChatUpstream {
  return {
    request: (conversation, context) => ({
      path: `${vertexModelPath(location, 'google', context.model)}${context.stream ? ':streamGenerateContent?alt=sse' : ':generateContent'}`,
      body: JSON.stringify(geminiRequestBody(conversation)),
      headers: JSON_HEADERS,
    }),
    reply: (body, context) => replyFromGemini(body, context.requestId),
    stream: (sink, context) => {
      const reader = new GeminiStreamReader(sink, context.requestId);
      return sseJsonReader((event) => reader.event(event as GeminiResponse));
    },
    error: (status, body) => geminiUpstreamError(status, body),
  };
}

/** An OpenAI-compatible chat API at `path` (OpenAI's, or Azure's deployment path). */
export function openAIChatUpstream(path: (context: TranslationContext) => string): ChatUpstream {
  return {
    request: (conversation, context) => ({
      path: path(context),
      body: JSON.stringify(chatRequestBody(conversation, context.model)),
      headers: JSON_HEADERS,
    }),
    reply: (body, context) => replyFromChatCompletion(body, context.requestId),
    stream: (sink) => new ChatChunkReader(sink),
    error: (status, body) => openAIUpstreamError(status, body),
  };
}
