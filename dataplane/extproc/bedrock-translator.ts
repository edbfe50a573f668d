// OpenAI chat completions ⇄ AWS Bedrock Converse / ConverseStream. Streamed responses arrive as AWS
// event-stream frames and leave as OpenAI server-sent events.
import { parseArguments } from './anthropic-translator.ts';
import { EventStreamDecoder, type EventStreamMessage } from './aws-event-stream.ts';
import { openAIErrorBody, openAIErrorType, parseJsonObject } from './client-errors.ts';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatContentPart,
  ChatMessage,
  ChatRequest,
  ChatToolCall,
  FinishReason,
} from './openai-schema.ts';
import { SSE_DONE, sseData } from './sse.ts';
import { chatUsage, type TokenUsage, tokenUsage } from './token-usage.ts';
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
  if (!Array.isArray(request.messages)) throw new TranslationError('messages must be an array');
  const system: { text: string }[] = [];
  const messages: BedrockMessage[] = [];
  const append = (role: 'user' | 'assistant', blocks: BedrockBlock[]) => {
    const last = messages.at(-1);
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push({ text: textOf(message.content) });
        break;
      case 'user':
        append(
          'user',
          typeof message.content === 'string' || message.content == null
            ? [{ text: message.content ?? '' }]
            : message.content.map(bedrockPart),
        );
        break;
      case 'assistant': {
        const blocks: BedrockBlock[] = [];
        const text = textOf(message.content);
        if (text !== '') blocks.push({ text });
        for (const call of message.tool_calls ?? []) {
          blocks.push({
            toolUse: {
              toolUseId: call.id,
              name: call.function.name,
              input: parseArguments(call.function.arguments),
            },
          });
        }
        append('assistant', blocks);
        break;
      }
      case 'tool':
        if (typeof message.tool_call_id !== 'string')
          throw new TranslationError('tool message needs tool_call_id');
        append('user', [
          { toolResult: { toolUseId: message.tool_call_id, content: [{ text: textOf(message.content) }] } },
        ]);
        break;
      default:
        throw new TranslationError(`unsupported message role '${String((message as ChatMessage).role)}'`);
    }
  }
  const body: Record<string, unknown> = { messages };
  if (system.length > 0) body.system = system;
  const inference: Record<string, unknown> = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  if (request.temperature !== undefined) inference.temperature = request.temperature;
  if (request.top_p !== undefined) inference.topP = request.top_p;
  if (request.stop !== undefined)
    inference.stopSequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
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

function textOf(content: ChatMessage['content']): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
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
    if (use !== undefined) {
      toolCalls.push({
        id: use.toolUseId,
        type: 'function',
        function: { name: use.name, arguments: JSON.stringify(use.input ?? {}) },
      });
    }
  }
  const usage = usageFromBedrock(parsed?.usage);
  const completion: ChatCompletion = {
    id: context.requestId,
    object: 'chat.completion',
    created: context.created,
    model: context.requestModel,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: finishReason(parsed?.stopReason),
      },
    ],
    usage: chatUsage(usage),
  };
  return { body: JSON.stringify(completion), usage };
}

/** ConverseStream's event-stream frames as OpenAI chunks. */
export class ConverseChatStream implements StreamTranslator {
  readonly #context: TranslationContext;
  readonly #decoder = new EventStreamDecoder();
  readonly #toolIndex = new Map<number, number>();
  #usage: TokenUsage | undefined;
  #finished = false;

  constructor(context: TranslationContext) {
    this.#context = context;
  }

  push(chunk: Uint8Array): string {
    let out = '';
    for (const message of this.#decoder.push(chunk)) out += this.#translate(message);
    return out;
  }

  end(): string {
    return this.#finish();
  }

  usage(): TokenUsage | undefined {
    return this.#usage;
  }

  #translate(message: EventStreamMessage): string {
    if (this.#finished) return '';
    const payload = parseJsonObject(message.payload) ?? {};
    if (message.headers[':message-type'] !== 'event') {
      this.#finished = true;
      const type = String(
        message.headers[':exception-type'] ?? message.headers[':error-code'] ?? 'server_error',
      );
      const text = String(payload.message ?? message.headers[':error-message'] ?? 'upstream stream error');
      return sseData(JSON.parse(openAIErrorBody(text, type)));
    }
    switch (message.headers[':event-type']) {
      case 'messageStart':
        return this.#chunk({ role: 'assistant', content: '' }, null);
      case 'contentBlockStart': {
        const start = payload.start as { toolUse?: { toolUseId: string; name: string } } | undefined;
        if (start?.toolUse === undefined) return '';
        const index = this.#toolIndex.size;
        this.#toolIndex.set(payload.contentBlockIndex as number, index);
        return this.#chunk(
          {
            tool_calls: [
              {
                index,
                id: start.toolUse.toolUseId,
                type: 'function',
                function: { name: start.toolUse.name, arguments: '' },
              },
            ],
          },
          null,
        );
      }
      case 'contentBlockDelta': {
        const delta = payload.delta as { text?: string; toolUse?: { input?: string } } | undefined;
        if (typeof delta?.text === 'string') return this.#chunk({ content: delta.text }, null);
        if (delta?.toolUse !== undefined) {
          const index = this.#toolIndex.get(payload.contentBlockIndex as number) ?? 0;
          return this.#chunk(
            { tool_calls: [{ index, function: { arguments: delta.toolUse.input ?? '' } }] },
            null,
          );
        }
        return '';
      }
      case 'messageStop':
        return this.#chunk({}, finishReason(payload.stopReason as string | undefined));
      case 'metadata':
        this.#usage = usageFromBedrock(payload.usage as BedrockUsage | undefined);
        return '';
      default:
        return '';
    }
  }

  #finish(): string {
    if (this.#finished) return '';
    this.#finished = true;
    const usage =
      this.#context.includeUsage && this.#usage !== undefined
        ? sseData({ ...this.#base(), choices: [], usage: chatUsage(this.#usage) })
        : '';
    return usage + SSE_DONE;
  }

  #base(): Omit<ChatCompletionChunk, 'choices'> {
    return {
      id: this.#context.requestId,
      object: 'chat.completion.chunk',
      created: this.#context.created,
      model: this.#context.requestModel,
    };
  }

  #chunk(delta: ChatCompletionChunk['choices'][number]['delta'], finish: FinishReason | null): string {
    return sseData({ ...this.#base(), choices: [{ index: 0, delta, finish_reason: finish }] });
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
