// OpenAI chat completions ⇄ AWS Bedrock Converse / ConverseStream. Streamed responses arrive as AWS
// event-stream frames and leave as OpenAI server-sent events.
import { EventStreamDecoder, type EventStreamMessage } from './aws-event-stream.ts';
import { ChatChunkWriter } from './chat-chunk-writer.ts';
import { chatTurns, toolCallId } from './chat-turns.ts';
import { openAIErrorBody, openAIErrorType, parseJsonObject } from './client-errors.ts';
import { camelCaseSampling, messageText } from './openai-chat-request.ts';
import { chatCompletionResponse, functionToolCall } from './openai-chat-response.ts';
import type { ChatContentPart, ChatRequest, ChatToolCall, FinishReason } from './openai-schema.ts';
import { type TokenUsage, tokenUsage } from './token-usage.ts';
import {
  type StreamTranslator,
  type TranslatedResponse,
  type TranslationContext,
  TranslationError,
  type Translator,
} from './translator.ts';
import { utf8 } from './utf8.ts';

type BedrockBlock =
  | { text: string }
  | { image: { format: string; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: { text: string }[] } };

interface BedrockMessage {
  role: 'user' | 'assistant';
  content: BedrockBlock[];
}

interface BedrockUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
}

/** The Converse body for an OpenAI chat request; the model travels in the path. */
export function converseRequest(request: ChatRequest): Record<string, unknown> {
  const { system, turns } = chatTurns<BedrockBlock>(request, {
    text: (text) => ({ text }),
    part: bedrockPart,
    toolCall: (toolUseId, name, input) => ({ toolUse: { toolUseId, name, input } }),
    toolResult: (message) => ({
      toolResult: { toolUseId: toolCallId(message), content: [{ text: messageText(message.content) }] },
    }),
  });
  const messages: BedrockMessage[] = turns.map((turn) => ({ role: turn.role, content: turn.blocks }));
  const body: Record<string, unknown> = { messages };
  if (system.length > 0) body.system = system.map((text) => ({ text }));
  const inference = camelCaseSampling(request, 'maxTokens');
  if (inference !== undefined) body.inferenceConfig = inference;
  if (request.tools !== undefined && request.tools.length > 0) {
    const toolConfig: Record<string, unknown> = {
      tools: request.tools.map((tool) => ({
        toolSpec: {
          name: tool.function.name,
          ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
          inputSchema: { json: tool.function.parameters ?? { type: 'object', properties: {} } },
        },
      })),
    };
    const choice = request.tool_choice;
    if (choice === 'auto') toolConfig.toolChoice = { auto: {} };
    else if (choice === 'required') toolConfig.toolChoice = { any: {} };
    else if (typeof choice === 'object') toolConfig.toolChoice = { tool: { name: choice.function.name } };
    body.toolConfig = toolConfig;
  }
  return body;
}

function bedrockPart(part: ChatContentPart): BedrockBlock {
  if (part.type === 'text') return { text: part.text };
  if (part.type === 'image_url') {
    const data = /^data:image\/([a-z]+);base64,(.*)$/s.exec(part.image_url.url);
    if (data === null) throw new TranslationError('Bedrock accepts images only as base64 data URLs');
    return { image: { format: data[1]!, source: { bytes: data[2]! } } };
  }
  throw new TranslationError(`unsupported content part type '${(part as { type: string }).type}'`);
}

function finishReason(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

function usageFromBedrock(usage: BedrockUsage | undefined): TokenUsage {
  const input = usage?.inputTokens ?? 0;
  const output = usage?.outputTokens ?? 0;
  return tokenUsage(input, output, usage?.cacheReadInputTokens ?? 0, usage?.totalTokens ?? input + output);
}

export function chatCompletionFromConverse(
  body: Uint8Array,
  context: TranslationContext,
): TranslatedResponse {
  const parsed = parseJsonObject(body) as
    | {
        output?: { message?: { content?: Record<string, never>[] } };
        stopReason?: string;
        usage?: BedrockUsage;
      }
    | undefined;
  const content = parsed?.output?.message?.content;
  if (!Array.isArray(content))
    throw new TranslationError('upstream answered with a body that is not a Converse response');
  let text = '';
  const toolCalls: ChatToolCall[] = [];
  for (const block of content) {
    if (typeof block.text === 'string') text += block.text;
    const use = block.toolUse as { toolUseId: string; name: string; input: unknown } | undefined;
    if (use !== undefined) toolCalls.push(functionToolCall(use.toolUseId, use.name, use.input));
  }
  return chatCompletionResponse(
    {
      id: context.requestId,
      text,
      toolCalls,
      finishReason: finishReason(parsed?.stopReason),
      usage: usageFromBedrock(parsed?.usage),
    },
    context,
  );
}

/** ConverseStream's event-stream frames as OpenAI chunks. */
export class ConverseChatStream implements StreamTranslator {
  readonly #out: ChatChunkWriter;
  readonly #decoder = new EventStreamDecoder();
  readonly #toolIndex = new Map<number, number>();
  #usage: TokenUsage | undefined;

  constructor(context: TranslationContext) {
    this.#out = new ChatChunkWriter(context);
  }

  push(chunk: Uint8Array): string {
    let out = '';
    for (const message of this.#decoder.push(chunk)) out += this.#translate(message);
    return out;
  }

  end(): string {
    return this.#out.finish(this.#usage);
  }

  usage(): TokenUsage | undefined {
    return this.#usage;
  }

  #translate(message: EventStreamMessage): string {
    if (this.#out.finished) return '';
    const payload = parseJsonObject(message.payload) ?? {};
    if (message.headers[':message-type'] !== 'event') {
      const type = String(
        message.headers[':exception-type'] ?? message.headers[':error-code'] ?? 'server_error',
      );
      const text = String(payload.message ?? message.headers[':error-message'] ?? 'upstream stream error');
      return this.#out.error(text, type);
    }
    switch (message.headers[':event-type']) {
      case 'messageStart':
        return this.#out.chunk({ role: 'assistant', content: '' }, null);
      case 'contentBlockStart': {
        const start = payload.start as { toolUse?: { toolUseId: string; name: string } } | undefined;
        if (start?.toolUse === undefined) return '';
        const index = this.#toolIndex.size;
        this.#toolIndex.set(payload.contentBlockIndex as number, index);
        return this.#out.toolCallStart(index, start.toolUse.toolUseId, start.toolUse.name);
      }
      case 'contentBlockDelta': {
        const delta = payload.delta as { text?: string; toolUse?: { input?: string } } | undefined;
        if (typeof delta?.text === 'string') return this.#out.chunk({ content: delta.text }, null);
        if (delta?.toolUse !== undefined) {
          const index = this.#toolIndex.get(payload.contentBlockIndex as number) ?? 0;
          return this.#out.toolCallArguments(index, delta.toolUse.input ?? '');
        }
        return '';
      }
      case 'messageStop':
        return this.#out.chunk({}, finishReason(payload.stopReason as string | undefined));
      case 'metadata':
        this.#usage = usageFromBedrock(payload.usage as BedrockUsage | undefined);
        return '';
      default:
        return '';
    }
  }
}

/** Bedrock errors are `{"message": …}` with the error name in `x-amzn-errortype`. */
export function openAIErrorFromBedrock(
  status: number,
  body: Uint8Array,
  headers: Readonly<Record<string, string>>,
): string {
  const parsed = parseJsonObject(body) as { message?: string; Message?: string } | undefined;
  const message = parsed?.message ?? parsed?.Message ?? (utf8(body) || `upstream status ${status}`);
  const errorType = headers['x-amzn-errortype']?.split(':')[0];
  return openAIErrorBody(message, errorType || openAIErrorType(status));
}

export function bedrockTranslator(): Translator {
  return {
    rewritesResponse: true,
    request: (body, context) => ({
      path: `/model/${encodeURIComponent(context.model)}/${context.stream ? 'converse-stream' : 'converse'}`,
      body: JSON.stringify(converseRequest(body as ChatRequest)),
      headers: { 'content-type': 'application/json' },
    }),
    response: chatCompletionFromConverse,
    stream: (context) => new ConverseChatStream(context),
    error: openAIErrorFromBedrock,
  };
}
