// An OpenAI chat completions request read into a Conversation: system and developer messages become system
// blocks (one per message), consecutive tool messages one user turn of tool results, cache_control is kept
// wherever a client put it (parts, tools, tool calls, messages), and the vendor `thinking` field is carried.
import {
  appendTurn,
  type CacheControl,
  type ContentBlock,
  type Conversation,
  type DocumentBlock,
  type ImageBlock,
  mediaFromUrl,
  reasoningBlock,
  type TextBlock,
  type Thinking,
  type ThinkingBlock,
  type ToolChoice,
  type ToolDefinition,
  type Turn,
} from './conversation.ts';
import type {
  CacheControlField,
  ChatContentPart,
  ChatMessage,
  ChatRequest,
  ChatTool,
  ThinkingConfig,
} from './openai-schema.ts';
import { TranslationError } from './translator.ts';

export function conversationFromChat(request: ChatRequest): Conversation {
  if (!Array.isArray(request.messages)) throw new TranslationError('messages must be an array');
  const system: TextBlock[] = [];
  const turns: Turn[] = [];
  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(systemBlock(message));
        break;
      case 'user':
        appendTurn(turns, 'user', userContent(message.content));
        break;
      case 'assistant':
        appendTurn(turns, 'assistant', assistantContent(message));
        break;
      case 'tool':
        appendTurn(turns, 'user', [toolResult(message)]);
        break;
      default:
        throw new TranslationError(`unsupported message role '${String((message as ChatMessage).role)}'`);
    }
  }
  const conversation: Mutable<Conversation> = {
    system,
    turns,
    tools: request.tools === undefined ? [] : request.tools.map(toolDefinition),
    stream: request.stream === true,
  };
  const choice = toolChoice(request);
  if (choice !== undefined) conversation.toolChoice = choice;
  if (request.parallel_tool_calls !== undefined) conversation.parallelToolCalls = request.parallel_tool_calls;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined) conversation.maxTokens = maxTokens;
  if (request.temperature !== undefined) conversation.temperature = request.temperature;
  if (request.top_p !== undefined) conversation.topP = request.top_p;
  if (request.top_k !== undefined) conversation.topK = request.top_k;
  if (request.stop !== undefined)
    conversation.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  const reasoning = thinking(request.thinking);
  if (reasoning !== undefined) conversation.thinking = reasoning;
  if (request.reasoning_effort !== undefined) conversation.reasoningEffort = request.reasoning_effort;
  if (typeof request.user === 'string') conversation.user = request.user;
  return conversation;
}

/** A readonly shape, writable while it is built. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** `{key: value}` when the value is set, `{}` otherwise: keeps absent fields absent. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export function cacheOf(field: CacheControlField | undefined): CacheControl | undefined {
  const cache = field?.cache_control;
  return cache !== undefined && cache !== null && typeof cache.type === 'string' ? cache : undefined;
}

function withCache<T extends object>(block: T, field: CacheControlField | undefined): T {
  const cache = cacheOf(field);
  return cache === undefined ? block : { ...block, cache };
}

/** A system or developer message: its text parts joined, with the cache_control of any part that has one. */
function systemBlock(message: ChatMessage): TextBlock {
  const content = message.content;
  if (typeof content === 'string' || content == null)
    return withCache({ type: 'text', text: content ?? '' }, message);
  let text = '';
  let cache = cacheOf(message);
  for (const part of content) {
    if (part.type !== 'text')
      throw new TranslationError(`system messages take text parts, not '${part.type}'`);
    text += part.text;
    cache = cacheOf(part) ?? cache;
  }
  return cache === undefined ? { type: 'text', text } : { type: 'text', text, cache };
}

function userContent(content: ChatMessage['content']): ContentBlock[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.map(userPart);
}

function userPart(part: ChatContentPart): TextBlock | ImageBlock | DocumentBlock {
  switch (part.type) {
    case 'text':
      return withCache({ type: 'text', text: part.text }, part);
    case 'image_url': {
      const url = part.image_url?.url;
      if (typeof url !== 'string') throw new TranslationError('image_url parts need image_url.url');
      const source = mediaFromUrl(url);
      const pdf =
        (source.kind === 'base64' && source.mediaType === 'application/pdf') ||
        (source.kind === 'url' && url.toLowerCase().endsWith('.pdf'));
      return withCache(pdf ? { type: 'document', source } : { type: 'image', source }, part);
    }
    default:
      throw new TranslationError(
        `content parts of type '${part.type}' cannot be translated for this backend`,
      );
  }
}

function assistantContent(message: ChatMessage): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  // The LiteLLM convention: clients echo a previous reply's reasoning (with signatures) in thinking_blocks.
  for (const block of message.thinking_blocks ?? []) {
    const reasoning = reasoningBlock(block as unknown as Record<string, unknown>);
    if (reasoning !== undefined) blocks.push(reasoning);
  }
  const content = message.content;
  if (typeof content === 'string') {
    if (content !== '') blocks.push(withCache({ type: 'text', text: content }, message));
  } else if (Array.isArray(content)) {
    for (const part of content) {
      if (part.type === 'text') blocks.push(withCache({ type: 'text', text: part.text }, part));
      else if (part.type === 'refusal') blocks.push({ type: 'text', text: part.refusal });
      else if (part.type === 'thinking')
        blocks.push(thinkingBlock(part.text ?? part.thinking ?? '', part.signature));
      else if (part.type === 'redacted_thinking') {
        const data = part.redacted_content ?? part.data;
        if (data !== undefined) blocks.push({ type: 'redacted_thinking', data });
      } else throw new TranslationError(`assistant content parts of type '${part.type}' are not supported`);
    }
  }
  for (const call of message.tool_calls ?? []) {
    if (typeof call.id !== 'string') throw new TranslationError('tool_calls[].id is required');
    blocks.push(
      withCache(
        {
          type: 'tool_use',
          id: call.id,
          name: call.function.name,
          input: toolArguments(call.function.arguments),
        },
        call,
      ),
    );
  }
  return blocks;
}

function thinkingBlock(thinking: string, signature: string | undefined): ThinkingBlock {
  return signature === undefined ? { type: 'thinking', thinking } : { type: 'thinking', thinking, signature };
}

/** Tool arguments arrive as a JSON string; upstreams that take objects get the parsed value. */
export function toolArguments(text: string | undefined): unknown {
  if (text === undefined || text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new TranslationError('tool_calls[].function.arguments must be a JSON object');
  }
}

/**
 * A tool message as a tool result. A string result that is a JSON object with an `error` key marks the result
 * as an error (Envoy AI Gateway's rule); the message's cache_control wins over a part's.
 */
function toolResult(message: ChatMessage): ContentBlock {
  if (typeof message.tool_call_id !== 'string') throw new TranslationError('tool message needs tool_call_id');
  const content = message.content;
  let isError = false;
  let blocks: (TextBlock | ImageBlock | DocumentBlock)[];
  let partCache: CacheControl | undefined;
  if (typeof content === 'string' || content == null) {
    blocks = content == null || content === '' ? [] : [{ type: 'text', text: content }];
    if (typeof content === 'string' && content.trimStart().startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(content);
        isError = parsed !== null && typeof parsed === 'object' && 'error' in parsed;
      } catch {
        // not JSON: a plain result
      }
    }
  } else {
    blocks = content.map(userPart);
    for (const block of blocks) partCache = block.cache ?? partCache;
  }
  const cache = cacheOf(message) ?? partCache;
  const result = { type: 'tool_result' as const, toolUseId: message.tool_call_id, content: blocks, isError };
  return cache === undefined ? result : { ...result, cache };
}

function toolDefinition(tool: ChatTool): ToolDefinition {
  if (tool.type !== 'function' || tool.function === undefined)
    throw new TranslationError(`tools of type '${String(tool.type)}' cannot be translated for this backend`);
  const fn = tool.function;
  return {
    name: fn.name,
    ...optional('description', fn.description),
    parameters: fn.parameters ?? { type: 'object', properties: {} },
    ...optional('cache', cacheOf(fn) ?? cacheOf(tool)),
    ...(fn.strict === true ? { strict: true } : {}),
  };
}

function toolChoice(request: ChatRequest): ToolChoice | undefined {
  const choice = request.tool_choice;
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  if (typeof choice === 'object' && typeof choice.function?.name === 'string')
    return { type: 'tool', name: choice.function.name };
  throw new TranslationError('tool_choice must be auto, none, required or a named function');
}

function thinking(config: ThinkingConfig | undefined): Thinking | undefined {
  if (config === undefined || config === null) return undefined;
  if (config.type === 'enabled') return { type: 'enabled', budgetTokens: config.budget_tokens };
  if (config.type === 'disabled') return { type: 'disabled' };
  if (config.type === 'adaptive') return { type: 'adaptive' };
  throw new TranslationError("thinking.type must be 'enabled', 'disabled' or 'adaptive'");
}
