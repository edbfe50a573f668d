// AWS Bedrock's Converse / ConverseStream API as an upstream for translated clients (OpenAI chat and Anthropic
// Messages): the body from a Conversation (cache_control becomes cachePoint blocks, thinking and top_k go in
// additionalModelRequestFields), the reply read back, event-stream frames read into a ReplySink keyed by
// content-block index (several tools keep their arguments apart), errors named by x-amzn-errortype.
import { EventStreamDecoder, type EventStreamMessage } from './aws-event-stream.ts';
import { parseJsonObject } from './client-errors.ts';
import type { CacheControl, ContentBlock, Conversation, MediaSource } from './conversation.ts';
import type { Reply, ReplyBlock, ReplySink, StopReason, UpstreamError } from './reply.ts';
import { type TokenUsage, tokenUsage } from './token-usage.ts';
import { TranslationError } from './translator.ts';
import { utf8 } from './utf8.ts';

type Json = Record<string, unknown>;

interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

const CACHE_POINT = { cachePoint: { type: 'default' } };

/** The Converse body for a conversation; the model travels in the path. */
export function converseRequestBody(conversation: Conversation): Json {
  const body: Json = {
    messages: conversation.turns.map((turn) => ({ role: turn.role, content: converseContent(turn.content) })),
  };
  if (conversation.system.length > 0)
    body.system = conversation.system.flatMap((block) => withCachePoint({ text: block.text }, block.cache));
  const inference: Json = {};
  if (conversation.maxTokens !== undefined) inference.maxTokens = conversation.maxTokens;
  if (conversation.temperature !== undefined) inference.temperature = conversation.temperature;
  if (conversation.topP !== undefined) inference.topP = conversation.topP;
  if (conversation.stop !== undefined) inference.stopSequences = conversation.stop;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  if (conversation.tools.length > 0) {
    const toolConfig: Json = {
      tools: conversation.tools.flatMap((tool) =>
        withCachePoint(
          {
            toolSpec: {
              name: tool.name,
              ...(tool.description === undefined ? {} : { description: tool.description }),
              inputSchema: { json: tool.parameters },
            },
          },
          tool.cache,
        ),
      ),
    };
    const choice = conversation.toolChoice;
    // Converse has no "none": the tools stay declared (earlier turns may use them) and the choice is left out.
    if (choice?.type === 'auto') toolConfig.toolChoice = { auto: {} };
    else if (choice?.type === 'any') toolConfig.toolChoice = { any: {} };
    else if (choice?.type === 'tool') toolConfig.toolChoice = { tool: { name: choice.name } };
    body.toolConfig = toolConfig;
  }
  const additional: Json = {};
  if (conversation.topK !== undefined) additional.top_k = conversation.topK;
  if (conversation.thinking !== undefined) {
    additional.thinking =
      conversation.thinking.type === 'enabled'
        ? { type: 'enabled', budget_tokens: conversation.thinking.budgetTokens }
        : { type: conversation.thinking.type };
  }
  if (conversation.reasoningEffort !== undefined) additional.reasoning_config = conversation.reasoningEffort;
  if (Object.keys(additional).length > 0) body.additionalModelRequestFields = additional;
  return body;
}

/** Converse blocks are a union, so a cache breakpoint is a block of its own after the one it marks. */
function withCachePoint(block: Json, cache: CacheControl | undefined): Json[] {
  return cache === undefined ? [block] : [block, CACHE_POINT];
}

const IMAGE_FORMATS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

function base64Bytes(source: MediaSource, what: string): string {
  if (source.kind !== 'base64') throw new TranslationError(`Bedrock accepts ${what} only as base64 data`);
  return source.data;
}

/**
 * A turn's blocks, each followed by a cache point when it marks one (Converse blocks are a union). Built in one
 * array: a flatMap made an array per block, and this runs for every block of every request to Bedrock.
 */
function converseContent(blocks: readonly ContentBlock[]): Json[] {
  const content: Json[] = [];
  for (const block of blocks) {
    content.push(converseBlock(block));
    if (block.type !== 'thinking' && block.type !== 'redacted_thinking' && block.cache !== undefined)
      content.push(CACHE_POINT);
  }
  return content;
}

/** One block; a tool result's parts carry no cache points of their own. */
function converseBlock(block: ContentBlock): Json {
  switch (block.type) {
    case 'text':
      return { text: block.text };
    case 'image': {
      const data = base64Bytes(block.source, 'images');
      const format = IMAGE_FORMATS[(block.source as { mediaType: string }).mediaType];
      if (format === undefined)
        throw new TranslationError(
          `Bedrock does not take images of type '${(block.source as { mediaType: string }).mediaType}'`,
        );
      return { image: { format, source: { bytes: data } } };
    }
    case 'document':
      return {
        document: {
          format: 'pdf',
          name: 'document',
          source: { bytes: base64Bytes(block.source, 'documents') },
        },
      };
    case 'tool_use':
      return { toolUse: { toolUseId: block.id, name: block.name, input: block.input ?? {} } };
    case 'tool_result':
      return {
        toolResult: {
          toolUseId: block.toolUseId,
          content: block.content.map(converseBlock),
          ...(block.isError ? { status: 'error' } : {}),
        },
      };
    case 'thinking':
      return {
        reasoningContent: {
          reasoningText: {
            text: block.thinking,
            ...(block.signature === undefined ? {} : { signature: block.signature }),
          },
        },
      };
    case 'redacted_thinking':
      return { reasoningContent: { redactedContent: block.data } };
  }
}

export function stopFromConverse(reason: unknown): StopReason {
  switch (reason) {
    case 'tool_use':
      return 'tool_use';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max_tokens';
    case 'stop_sequence':
      return 'stop_sequence';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'end_turn';
  }
}

/** Bedrock's inputTokens exclude cache reads and writes; they are added, as Envoy AI Gateway does. */
export function usageFromConverse(usage: ConverseUsage | undefined): TokenUsage {
  const cached = usage?.cacheReadInputTokens ?? 0;
  const creation = usage?.cacheWriteInputTokens ?? 0;
  const input = (usage?.inputTokens ?? 0) + cached + creation;
  const output = usage?.outputTokens ?? 0;
  return tokenUsage(input, output, { cached, cacheCreation: creation });
}

export function replyFromConverse(body: Uint8Array, requestId: string): Reply {
  const parsed = parseJsonObject(body) as
    | { output?: { message?: { content?: Json[] } }; stopReason?: string; usage?: ConverseUsage }
    | undefined;
  const content = parsed?.output?.message?.content;
  if (!Array.isArray(content))
    throw new TranslationError('upstream answered with a body that is not a Converse response');
  const blocks: ReplyBlock[] = [];
  for (const block of content) {
    if (typeof block.text === 'string') blocks.push({ type: 'text', text: block.text });
    const use = block.toolUse as { toolUseId?: string; name?: string; input?: unknown } | undefined;
    if (use !== undefined)
      blocks.push({
        type: 'tool_use',
        id: String(use.toolUseId ?? ''),
        name: String(use.name ?? ''),
        input: use.input,
      });
    const reasoning = block.reasoningContent as
      | { reasoningText?: { text?: string; signature?: string }; redactedContent?: string }
      | undefined;
    if (reasoning?.reasoningText !== undefined) {
      const { text = '', signature } = reasoning.reasoningText;
      blocks.push(
        signature === undefined
          ? { type: 'thinking', thinking: text }
          : { type: 'thinking', thinking: text, signature },
      );
    }
    if (reasoning?.redactedContent !== undefined)
      blocks.push({ type: 'redacted_thinking', data: reasoning.redactedContent });
  }
  return {
    id: requestId,
    blocks,
    stop: stopFromConverse(parsed?.stopReason),
    usage: usageFromConverse(parsed?.usage),
  };
}

/** ConverseStream's event-stream frames pushed into a sink. */
export class ConverseStreamReader {
  readonly #sink: ReplySink;
  readonly #decoder = new EventStreamDecoder();

  constructor(sink: ReplySink) {
    this.#sink = sink;
  }

  push(chunk: Uint8Array): void {
    for (const message of this.#decoder.push(chunk)) this.#event(message);
  }

  end(): void {}

  #event(message: EventStreamMessage): void {
    const sink = this.#sink;
    const payload = parseJsonObject(message.payload) ?? {};
    if (message.headers[':message-type'] !== 'event') {
      const type = String(
        message.headers[':exception-type'] ?? message.headers[':error-code'] ?? 'InternalServerException',
      );
      const text = String(payload.message ?? message.headers[':error-message'] ?? 'upstream stream error');
      sink.error({ type, message: text });
      return;
    }
    const index = Number(payload.contentBlockIndex ?? 0);
    switch (message.headers[':event-type']) {
      case 'messageStart':
        sink.start();
        return;
      case 'contentBlockStart': {
        const start = payload.start as { toolUse?: { toolUseId?: string; name?: string } } | undefined;
        if (start?.toolUse !== undefined)
          sink.toolStart(index, String(start.toolUse.toolUseId ?? ''), String(start.toolUse.name ?? ''));
        return;
      }
      case 'contentBlockDelta': {
        const delta = (payload.delta ?? {}) as {
          text?: string;
          toolUse?: { input?: string };
          reasoningContent?: { text?: string; signature?: string; redactedContent?: string };
        };
        if (typeof delta.text === 'string') sink.text(delta.text);
        else if (delta.toolUse !== undefined) sink.toolArguments(index, delta.toolUse.input ?? '');
        else if (delta.reasoningContent !== undefined) {
          const reasoning = delta.reasoningContent;
          if (typeof reasoning.text === 'string') sink.thinking(reasoning.text);
          if (typeof reasoning.signature === 'string') sink.thinkingSignature(reasoning.signature);
          if (typeof reasoning.redactedContent === 'string') sink.redactedThinking(reasoning.redactedContent);
        }
        return;
      }
      case 'messageStop':
        sink.stop(stopFromConverse(payload.stopReason));
        return;
      case 'metadata':
        sink.usage(usageFromConverse(payload.usage as ConverseUsage | undefined));
        return;
      default:
        return;
    }
  }
}

/** Bedrock errors are `{"message": …}` with the error name in `x-amzn-errortype` (`Name:namespace-url`). */
export function converseUpstreamError(
  status: number,
  body: Uint8Array,
  headers: Readonly<Record<string, string>>,
): UpstreamError {
  const parsed = parseJsonObject(body) as { message?: string; Message?: string } | undefined;
  const message = parsed?.message ?? parsed?.Message ?? (utf8(body) || `upstream status ${status}`);
  const type = headers['x-amzn-errortype']?.split(':')[0];
  return type ? { type, message } : { message };
}
