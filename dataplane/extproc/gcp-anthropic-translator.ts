// OpenAI chat completions ⇄ Anthropic models on GCP Vertex AI (rawPredict / streamRawPredict): the
// Anthropic Messages body without `model`, with Vertex's anthropic_version.
import {
  AnthropicChatStream,
  anthropicMessagesRequest,
  chatCompletionFromAnthropic,
  openAIErrorFromAnthropic,
} from './anthropic-translator.ts';
import { type VertexLocation, vertexModelPath } from './gemini-translator.ts';
import type { ChatRequest } from './openai-schema.ts';
import type { Translator } from './translator.ts';

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

export function vertexAnthropicPath(location: VertexLocation, model: string, stream: boolean): string {
  return `${vertexModelPath(location, 'anthropic', model)}:${stream ? 'streamRawPredict' : 'rawPredict'}`;
}

/** Drops `model` (it is in the path) and adds Vertex's anthropic_version. */
export function vertexAnthropicBody(body: Record<string, unknown>): Record<string, unknown> {
  const { model: _model, ...rest } = body;
  return { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest };
}

export function gcpAnthropicTranslator(location: VertexLocation): Translator {
  return {
    rewritesResponse: true,
    request: (body, context) => ({
      path: vertexAnthropicPath(location, context.model, context.stream),
      body: JSON.stringify(vertexAnthropicBody(anthropicMessagesRequest(body as ChatRequest, context.model))),
      headers: { 'content-type': 'application/json' },
    }),
    response: chatCompletionFromAnthropic,
    stream: (context) => new AnthropicChatStream(context),
    error: openAIErrorFromAnthropic,
  };
}
