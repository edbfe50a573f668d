// GCP Vertex AI Gemini (generateContent / streamGenerateContent?alt=sse) as an upstream for translated clients:
// the body from a Conversation, the reply read back (thought parts as reasoning, thoughtsTokenCount counted as
// reasoning tokens inside the output count, as Envoy AI Gateway counts them), stream events read into a
// ReplySink with the upstream's responseId, errors named by Google's status.
import { parseJsonObject } from './client-errors.ts';
import { type ContentBlock, type Conversation, mediaUrl } from './conversation.ts';
import type { Reply, ReplyBlock, ReplySink, StopReason, UpstreamError } from './reply.ts';
import { type TokenUsage, tokenUsage } from './token-usage.ts';
import { TranslationError } from './translator.ts';
import { utf8 } from './utf8.ts';

type Json = Record<string, unknown>;

export interface VertexLocation {
  readonly project: string;
  readonly region: string;
}

interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
  cachedContentTokenCount?: number;
}

interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { id?: string; name?: string; args?: unknown };
}

interface GeminiResponse {
  candidates?: { content?: { parts?: GeminiPart[] }; finishReason?: string }[];
  usageMetadata?: GeminiUsage;
  responseId?: string;
  error?: { message?: string; status?: string };
}

/** The Vertex AI path prefix every GCP publisher model shares. */
export function vertexModelPath(location: VertexLocation, publisher: string, model: string): string {
  return `/v1/projects/${location.project}/locations/${location.region}/publishers/${publisher}/models/${model}`;
}

/** The generateContent body for a conversation; the model travels in the path. */
export function geminiRequestBody(conversation: Conversation): Json {
  // Gemini's functionResponse names the function; tool results name only the call's id.
  const functionNames = new Map<string, string>();
  const contents = conversation.turns.map((turn) => ({
    role: turn.role === 'assistant' ? 'model' : 'user',
    parts: geminiParts(turn.content, functionNames),
  }));
  const body: Json = { contents };
  if (conversation.system.length > 0)
    body.systemInstruction = { parts: conversation.system.map((block) => ({ text: block.text })) };
  const generation: Json = {};
  if (conversation.maxTokens !== undefined) generation.maxOutputTokens = conversation.maxTokens;
  if (conversation.temperature !== undefined) generation.temperature = conversation.temperature;
  if (conversation.topP !== undefined) generation.topP = conversation.topP;
  if (conversation.topK !== undefined) generation.topK = conversation.topK;
  if (conversation.stop !== undefined) generation.stopSequences = conversation.stop;
  if (conversation.thinking?.type === 'enabled')
    generation.thinkingConfig = { includeThoughts: true, thinkingBudget: conversation.thinking.budgetTokens };
  else if (conversation.thinking?.type === 'disabled') generation.thinkingConfig = { thinkingBudget: 0 };
  else if (conversation.thinking?.type === 'adaptive')
    generation.thinkingConfig = { includeThoughts: true, thinkingBudget: -1 };
  if (Object.keys(generation).length > 0) body.generationConfig = generation;
  if (conversation.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: conversation.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description === undefined ? {} : { description: tool.description }),
          parameters: tool.parameters,
        })),
      },
    ];
    const choice = conversation.toolChoice;
    if (choice?.type === 'auto') body.toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
    else if (choice?.type === 'none') body.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
    else if (choice?.type === 'any') body.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
    else if (choice?.type === 'tool')
      body.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
  }
  return body;
}

function geminiParts(blocks: readonly ContentBlock[], functionNames: Map<string, string>): Json[] {
  const parts: Json[] = [];
  // A thought signature travels on the part it belongs to: the turn's first function call (else its first part).
  let signature: string | undefined;
  for (const block of blocks) {
    switch (block.type) {
      case 'text':
        parts.push({ text: block.text });
        break;
      case 'image':
      case 'document':
        parts.push(
          block.source.kind === 'base64'
            ? { inlineData: { mimeType: block.source.mediaType, data: block.source.data } }
            : {
                fileData: {
                  mimeType: block.type === 'document' ? 'application/pdf' : 'image/*',
                  fileUri: mediaUrl(block.source),
                },
              },
        );
        break;
      case 'tool_use':
        functionNames.set(block.id, block.name);
        parts.push({ functionCall: { name: block.name, args: block.input ?? {} } });
        break;
      case 'tool_result': {
        const name = functionNames.get(block.toolUseId);
        if (name === undefined)
          throw new TranslationError(`a tool result refers to the unknown tool call '${block.toolUseId}'`);
        let output = '';
        for (const part of block.content) if (part.type === 'text') output += part.text;
        parts.push({ functionResponse: { name, response: { output } } });
        break;
      }
      case 'thinking':
        signature ??= block.signature;
        break;
      case 'redacted_thinking':
        break;
    }
  }
  if (signature !== undefined && parts.length > 0) {
    const carrier = parts.find((part) => 'functionCall' in part) ?? parts[0]!;
    carrier.thoughtSignature = signature;
  }
  return parts;
}

function stopFromGemini(reason: string, calledTools: boolean): StopReason {
  if (calledTools) return 'tool_use';
  if (reason === 'MAX_TOKENS') return 'max_tokens';
  if (reason === 'STOP' || reason === 'FINISH_REASON_UNSPECIFIED' || reason === 'OTHER') return 'end_turn';
  return 'content_filter';
}

/** Output counts include thoughts; the thoughts are also the reasoning tokens (Envoy AI Gateway's counting). */
export function usageFromGemini(usage: GeminiUsage | undefined): TokenUsage {
  const input = usage?.promptTokenCount ?? 0;
  const thoughts = usage?.thoughtsTokenCount ?? 0;
  const output = (usage?.candidatesTokenCount ?? 0) + thoughts;
  return tokenUsage(input, output, {
    cached: usage?.cachedContentTokenCount ?? 0,
    reasoning: thoughts,
    total: usage?.totalTokenCount ?? input + output,
  });
}

/** A function call's id: Gemini's own when it gives one, else made from the request id and the call's number. */
function callId(call: GeminiPart['functionCall'], requestId: string, number: number): string {
  return typeof call?.id === 'string' && call.id !== '' ? call.id : `call_${requestId}_${number}`;
}

export function replyFromGemini(body: Uint8Array, requestId: string): Reply {
  const response = parseJsonObject(body) as GeminiResponse | undefined;
  if (response === undefined || !Array.isArray(response.candidates))
    throw new TranslationError('upstream answered with a body that is not a generateContent response');
  const blocks: ReplyBlock[] = [];
  let calls = 0;
  for (const part of response.candidates[0]?.content?.parts ?? []) {
    if (typeof part.text === 'string' && part.thought === true) {
      blocks.push(
        part.thoughtSignature === undefined
          ? { type: 'thinking', thinking: part.text }
          : { type: 'thinking', thinking: part.text, signature: part.thoughtSignature },
      );
    } else if (typeof part.text === 'string') blocks.push({ type: 'text', text: part.text });
    if (part.functionCall !== undefined) {
      blocks.push({
        type: 'tool_use',
        id: callId(part.functionCall, requestId, calls++),
        name: String(part.functionCall.name ?? ''),
        input: part.functionCall.args ?? {},
      });
      if (part.thoughtSignature !== undefined) signThinking(blocks, part.thoughtSignature);
    }
  }
  return {
    id: response.responseId ?? requestId,
    blocks,
    stop: stopFromGemini(response.candidates[0]?.finishReason ?? 'STOP', calls > 0),
    usage: usageFromGemini(response.usageMetadata),
  };
}

/** A function call's thought signature belongs to the reply's thinking (a bare signature when there was none). */
function signThinking(blocks: ReplyBlock[], signature: string): void {
  const at = blocks.findIndex((block) => block.type === 'thinking' && block.signature === undefined);
  if (at >= 0) blocks[at] = { ...(blocks[at] as { type: 'thinking'; thinking: string }), signature };
  else if (!blocks.some((block) => block.type === 'thinking'))
    blocks.unshift({ type: 'thinking', thinking: '', signature });
}

/** streamGenerateContent?alt=sse events (each a whole GenerateContentResponse, already parsed) into a sink. */
export class GeminiStreamReader {
  readonly #sink: ReplySink;
  readonly #requestId: string;
  #calls = 0;

  constructor(sink: ReplySink, requestId: string) {
    this.#sink = sink;
    this.#requestId = requestId;
  }

  event(response: GeminiResponse): void {
    const sink = this.#sink;
    if (response.error !== undefined) {
      sink.error({
        type: response.error.status ?? 'INTERNAL',
        message: response.error.message ?? 'upstream error',
      });
      return;
    }
    if (response.usageMetadata !== undefined) sink.usage(usageFromGemini(response.usageMetadata));
    sink.start(response.responseId);
    const candidate = response.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (typeof part.text === 'string' && part.thought === true) sink.thinking(part.text);
      else if (typeof part.text === 'string') sink.text(part.text);
      if (part.thoughtSignature !== undefined) sink.thinkingSignature(part.thoughtSignature);
      if (part.functionCall !== undefined) {
        const key = this.#calls++;
        sink.toolStart(
          key,
          callId(part.functionCall, this.#requestId, key),
          String(part.functionCall.name ?? ''),
        );
        sink.toolArguments(key, JSON.stringify(part.functionCall.args ?? {}));
      }
    }
    if (candidate?.finishReason !== undefined)
      sink.stop(stopFromGemini(candidate.finishReason, this.#calls > 0));
  }
}

/** Google errors are `{"error":{"code","message","status"}}`. */
export function geminiUpstreamError(status: number, body: Uint8Array): UpstreamError {
  const parsed = parseJsonObject(body) as { error?: { message?: string; status?: string } } | undefined;
  if (parsed?.error !== undefined && typeof parsed.error === 'object') {
    return {
      ...(parsed.error.status === undefined ? {} : { type: parsed.error.status }),
      message: parsed.error.message ?? `upstream status ${status}`,
    };
  }
  return { message: utf8(body) || `upstream status ${status}` };
}

export type { GeminiResponse };
