// OpenAI chat completions ⇄ GCP Vertex AI Gemini generateContent / streamGenerateContent?alt=sse.
import { ChatChunkWriter } from './chat-chunk-writer.ts';
import { chatTurns } from './chat-turns.ts';
import { openAIErrorBody, openAIErrorType, parseJsonObject } from './client-errors.ts';
import { camelCaseSampling, messageText } from './openai-chat-request.ts';
import { chatCompletionResponse, functionToolCall } from './openai-chat-response.ts';
import type { ChatContentPart, ChatRequest, ChatToolCall, FinishReason } from './openai-schema.ts';
import { SseParser } from './sse.ts';
import { type TokenUsage, tokenUsage } from './token-usage.ts';
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
  // Gemini's functionResponse names the function; OpenAI's tool message names only the call id.
  const functionNames = new Map<string, string>();
  const { system, turns } = chatTurns<GeminiPart>(request, {
    text: (text) => ({ text }),
    part: geminiPart,
    toolCall: (id, name, args) => {
      functionNames.set(id, name);
      return { functionCall: { name, args } };
    },
    toolResult: (message) => {
      const name = functionNames.get(message.tool_call_id ?? '');
      if (name === undefined)
        throw new TranslationError(`tool message refers to unknown tool_call_id '${message.tool_call_id}'`);
      const text = messageText(message.content);
      return { functionResponse: { name, response: parseJsonObject(text) ?? { content: text } } };
    },
  });
  const contents: GeminiContent[] = turns.map((turn) => ({
    role: turn.role === 'assistant' ? 'model' : 'user',
    parts: turn.blocks,
  }));
  const body: Record<string, unknown> = { contents };
  if (system.length > 0) body.systemInstruction = { parts: [{ text: system.join('\n') }] };
  const generation = camelCaseSampling(request, 'maxOutputTokens');
  if (generation !== undefined) body.generationConfig = generation;
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
      calls.push(functionToolCall(`call_${requestId}_${callsSoFar + calls.length}`, call.name, call.args));
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
  return chatCompletionResponse(
    {
      id: response.responseId ?? context.requestId,
      text,
      toolCalls: calls,
      finishReason: finishReason(response.candidates[0]?.finishReason ?? 'STOP', calls.length > 0),
      usage: usageFromGemini(response.usageMetadata),
    },
    context,
  );
}

/** streamGenerateContent?alt=sse events (each a whole GenerateContentResponse) as OpenAI chunks. */
export class GeminiChatStream implements StreamTranslator {
  readonly #out: ChatChunkWriter;
  readonly #requestId: string;
  readonly #parser = new SseParser();
  #calls = 0;
  #started = false;
  #usage: TokenUsage | undefined;

  constructor(context: TranslationContext) {
    this.#out = new ChatChunkWriter(context);
    this.#requestId = context.requestId;
  }

  push(chunk: Uint8Array): string {
    let out = '';
    for (const event of this.#parser.push(chunk)) out += this.#translate(event.data);
    return out;
  }

  end(): string {
    let out = '';
    for (const event of this.#parser.end()) out += this.#translate(event.data);
    return out + this.#out.finish(this.#usage);
  }

  usage(): TokenUsage | undefined {
    return this.#usage;
  }

  #translate(data: string): string {
    const response = parseJsonObject(data) as
      | (GeminiResponse & { error?: { message?: string; status?: string } })
      | undefined;
    if (response === undefined || this.#out.finished) return '';
    if (response.error !== undefined) {
      return this.#out.error(
        response.error.message ?? 'upstream error',
        response.error.status ?? 'server_error',
      );
    }
    if (response.usageMetadata !== undefined) this.#usage = usageFromGemini(response.usageMetadata);
    let out = '';
    if (!this.#started) {
      this.#started = true;
      out += this.#out.chunk({ role: 'assistant', content: '' }, null);
    }
    const { text, calls } = candidateParts(response, this.#requestId, this.#calls);
    if (text !== '') out += this.#out.chunk({ content: text }, null);
    if (calls.length > 0) {
      const first = this.#calls;
      this.#calls += calls.length;
      out += this.#out.chunk(
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
    if (reason !== undefined) out += this.#out.chunk({}, finishReason(reason, this.#calls > 0));
    return out;
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
