// OpenAI chat completions ⇄ GCP Vertex AI Gemini generateContent / streamGenerateContent?alt=sse.
import { parseArguments } from './anthropic-translator.ts';
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
import { SSE_DONE, SseParser, sseData } from './sse.ts';
import { chatUsage, type TokenUsage, tokenUsage } from './token-usage.ts';
import {
  type StreamTranslator,
  type TranslatedResponse,
  type TranslationContext,
  TranslationError,
  type Translator,
} from './translator.ts';
import { utf8 } from './utf8.ts';

type GeminiPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: unknown } }
  | { functionResponse: { name: string; response: unknown } };

interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
}

interface GeminiResponse {
  candidates?: { content?: { parts?: Record<string, never>[] }; finishReason?: string }[];
  usageMetadata?: GeminiUsage;
  responseId?: string;
}

export interface VertexLocation {
  readonly project: string;
  readonly region: string;
}

/** The generateContent body for an OpenAI chat request; the model travels in the path. */
export function generateContentRequest(request: ChatRequest): Record<string, unknown> {
  if (!Array.isArray(request.messages)) throw new TranslationError('messages must be an array');
  const system: string[] = [];
  const contents: GeminiContent[] = [];
  // Gemini's functionResponse names the function; OpenAI's tool message names only the call id.
  const functionNames = new Map<string, string>();
  const append = (role: 'user' | 'model', parts: GeminiPart[]) => {
    const last = contents.at(-1);
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(textOf(message.content));
        break;
      case 'user':
        append(
          'user',
          typeof message.content === 'string' || message.content == null
            ? [{ text: message.content ?? '' }]
            : message.content.map(geminiPart),
        );
        break;
      case 'assistant': {
        const parts: GeminiPart[] = [];
        const text = textOf(message.content);
        if (text !== '') parts.push({ text });
        for (const call of message.tool_calls ?? []) {
          functionNames.set(call.id, call.function.name);
          parts.push({
            functionCall: { name: call.function.name, args: parseArguments(call.function.arguments) },
          });
        }
        append('model', parts);
        break;
      }
      case 'tool': {
        const name = functionNames.get(message.tool_call_id ?? '');
        if (name === undefined)
          throw new TranslationError(`tool message refers to unknown tool_call_id '${message.tool_call_id}'`);
        const text = textOf(message.content);
        const parsed = parseJsonObject(text);
        append('user', [{ functionResponse: { name, response: parsed ?? { content: text } } }]);
        break;
      }
      default:
        throw new TranslationError(`unsupported message role '${String((message as ChatMessage).role)}'`);
    }
  }
  const body: Record<string, unknown> = { contents };
  if (system.length > 0) body.systemInstruction = { parts: [{ text: system.join('\n') }] };
  const generation: Record<string, unknown> = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined) generation.maxOutputTokens = maxTokens;
  if (request.temperature !== undefined) generation.temperature = request.temperature;
  if (request.top_p !== undefined) generation.topP = request.top_p;
  if (request.stop !== undefined)
    generation.stopSequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (Object.keys(generation).length > 0) body.generationConfig = generation;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.function.name,
          ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
          ...(tool.function.parameters === undefined ? {} : { parameters: tool.function.parameters }),
        })),
      },
    ];
    const choice = request.tool_choice;
    if (choice === 'auto') body.toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
    else if (choice === 'none') body.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
    else if (choice === 'required') body.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
    else if (typeof choice === 'object') {
      body.toolConfig = {
        functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] },
      };
    }
  }
  return body;
}

function textOf(content: ChatMessage['content']): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

function geminiPart(part: ChatContentPart): GeminiPart {
  if (part.type === 'text') return { text: part.text };
  if (part.type === 'image_url') {
    const data = /^data:([^;]+);base64,(.*)$/s.exec(part.image_url.url);
    return data === null
      ? { fileData: { mimeType: 'image/*', fileUri: part.image_url.url } }
      : { inlineData: { mimeType: data[1]!, data: data[2]! } };
  }
  throw new TranslationError(`unsupported content part type '${(part as { type: string }).type}'`);
}

function finishReason(reason: string | undefined, calledTools: boolean): FinishReason | null {
  if (reason === undefined) return null;
  if (calledTools) return 'tool_calls';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason === 'STOP' || reason === 'FINISH_REASON_UNSPECIFIED' || reason === 'OTHER') return 'stop';
  return 'content_filter';
}

function usageFromGemini(usage: GeminiUsage | undefined): TokenUsage {
  const input = usage?.promptTokenCount ?? 0;
  const output = usage?.candidatesTokenCount ?? 0;
  return tokenUsage(
    input,
    output,
    usage?.cachedContentTokenCount ?? 0,
    usage?.totalTokenCount ?? input + output,
  );
}

/** Text and function calls of the first candidate; call ids are made from the request id (Gemini has none). */
function candidateParts(response: GeminiResponse, requestId: string, callsSoFar: number) {
  let text = '';
  const calls: ChatToolCall[] = [];
  for (const part of response.candidates?.[0]?.content?.parts ?? []) {
    if (typeof part.text === 'string') text += part.text;
    const call = part.functionCall as { name: string; args?: unknown } | undefined;
    if (call !== undefined) {
      calls.push({
        id: `call_${requestId}_${callsSoFar + calls.length}`,
        type: 'function',
        function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
      });
    }
  }
  return { text, calls };
}

export function chatCompletionFromGemini(body: Uint8Array, context: TranslationContext): TranslatedResponse {
  const response = parseJsonObject(body) as GeminiResponse | undefined;
  if (response === undefined || !Array.isArray(response.candidates)) {
    throw new TranslationError('upstream answered with a body that is not a generateContent response');
  }
  const { text, calls } = candidateParts(response, context.requestId, 0);
  const usage = usageFromGemini(response.usageMetadata);
  const completion: ChatCompletion = {
    id: response.responseId ?? context.requestId,
    object: 'chat.completion',
    created: context.created,
    model: context.requestModel,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && calls.length > 0 ? null : text,
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        },
        finish_reason: finishReason(response.candidates[0]?.finishReason ?? 'STOP', calls.length > 0),
      },
    ],
    usage: chatUsage(usage),
  };
  return { body: JSON.stringify(completion), usage };
}

/** streamGenerateContent?alt=sse events (each a whole GenerateContentResponse) as OpenAI chunks. */
export class GeminiChatStream implements StreamTranslator {
  readonly #context: TranslationContext;
  readonly #parser = new SseParser();
  #calls = 0;
  #started = false;
  #usage: TokenUsage | undefined;
  #finished = false;

  constructor(context: TranslationContext) {
    this.#context = context;
  }

  push(chunk: Uint8Array): string {
    let out = '';
    for (const event of this.#parser.push(chunk)) out += this.#translate(event.data);
    return out;
  }

  end(): string {
    let out = '';
    for (const event of this.#parser.end()) out += this.#translate(event.data);
    return out + this.#finish();
  }

  usage(): TokenUsage | undefined {
    return this.#usage;
  }

  #translate(data: string): string {
    const response = parseJsonObject(data) as
      | (GeminiResponse & { error?: { message?: string; status?: string } })
      | undefined;
    if (response === undefined || this.#finished) return '';
    if (response.error !== undefined) {
      this.#finished = true;
      return sseData(
        JSON.parse(
          openAIErrorBody(
            response.error.message ?? 'upstream error',
            response.error.status ?? 'server_error',
          ),
        ),
      );
    }
    if (response.usageMetadata !== undefined) this.#usage = usageFromGemini(response.usageMetadata);
    let out = '';
    if (!this.#started) {
      this.#started = true;
      out += this.#chunk({ role: 'assistant', content: '' }, null);
    }
    const { text, calls } = candidateParts(response, this.#context.requestId, this.#calls);
    if (text !== '') out += this.#chunk({ content: text }, null);
    if (calls.length > 0) {
      const first = this.#calls;
      this.#calls += calls.length;
      out += this.#chunk(
        {
          tool_calls: calls.map((call, offset) => ({
            index: first + offset,
            id: call.id,
            type: 'function' as const,
            function: call.function,
          })),
        },
        null,
      );
    }
    const reason = response.candidates?.[0]?.finishReason;
    if (reason !== undefined) out += this.#chunk({}, finishReason(reason, this.#calls > 0));
    return out;
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

/** Google errors are `{"error":{"code","message","status"}}`. */
export function openAIErrorFromGemini(status: number, body: Uint8Array): string {
  const parsed = parseJsonObject(body) as { error?: { message?: string; status?: string } } | undefined;
  const message = parsed?.error?.message ?? (utf8(body) || `upstream status ${status}`);
  return openAIErrorBody(message, parsed?.error?.status ?? openAIErrorType(status));
}

/** The Vertex AI path prefix every GCP publisher model shares. */
export function vertexModelPath(location: VertexLocation, publisher: string, model: string): string {
  return `/v1/projects/${location.project}/locations/${location.region}/publishers/${publisher}/models/${model}`;
}

export function geminiTranslator(location: VertexLocation): Translator {
  return {
    rewritesResponse: true,
    request: (body, context) => ({
      path: `${vertexModelPath(location, 'google', context.model)}${context.stream ? ':streamGenerateContent?alt=sse' : ':generateContent'}`,
      body: JSON.stringify(generateContentRequest(body as ChatRequest)),
      headers: { 'content-type': 'application/json' },
    }),
    response: chatCompletionFromGemini,
    stream: (context) => new GeminiChatStream(context),
    error: openAIErrorFromGemini,
  };
}
