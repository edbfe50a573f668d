// Reading an OpenAI chat request the way every rewriting provider translator needs it: message text,
// tool-call arguments and the sampling options each upstream renames.
import type { ChatMessage, ChatRequest } from './openai-schema.ts';
import { TranslationError } from './translator.ts';

/** The messages array, refused (422) when the client sent something else. */
export function chatMessages(request: ChatRequest): ChatMessage[] {
  if (!Array.isArray(request.messages)) throw new TranslationError('messages must be an array');
  return request.messages;
}

/** A message's text: a string as is, parts' text concatenated (non-text parts dropped). */
export function messageText(content: ChatMessage['content']): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** Tool arguments arrive as a JSON string; upstreams that take objects get the parsed value. */
export function parseToolArguments(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new TranslationError('tool_calls[].function.arguments must be a JSON object');
  }
}

/** The output token limit: `max_completion_tokens`, else the older `max_tokens`. */
export function maxOutputTokens(request: ChatRequest): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens;
}

/** `stop` as a list (OpenAI also takes a single string). */
export function stopSequences(request: ChatRequest): string[] | undefined {
  return typeof request.stop === 'string' ? [request.stop] : request.stop;
}

/**
 * The sampling options in the camelCase form Bedrock's inferenceConfig and Gemini's generationConfig share
 * (they differ only in the name of the token limit); undefined when the client set none.
 */
export function camelCaseSampling(
  request: ChatRequest,
  maxTokensField: string,
): Record<string, unknown> | undefined {
  const sampling: Record<string, unknown> = {};
  const maxTokens = maxOutputTokens(request);
  if (maxTokens !== undefined) sampling[maxTokensField] = maxTokens;
  if (request.temperature !== undefined) sampling.temperature = request.temperature;
  if (request.top_p !== undefined) sampling.topP = request.top_p;
  if (request.stop !== undefined) sampling.stopSequences = stopSequences(request);
  return Object.keys(sampling).length > 0 ? sampling : undefined;
}
