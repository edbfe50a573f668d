// An Anthropic Messages request read into a Conversation, for Anthropic clients on upstreams that speak
// another API (OpenAI, Bedrock Converse, Gemini). Server tools (web search, code execution, …) exist only on
// Anthropic's own API and are refused.
import {
  appendTurn,
  type CacheControl,
  type ContentBlock,
  type Conversation,
  type DocumentBlock,
  type ImageBlock,
  type MediaSource,
  reasoningBlock,
  type TextBlock,
  type Thinking,
  type ToolChoice,
  type ToolDefinition,
  type Turn,
} from './conversation.ts';
import { optional } from './openai-chat-reader.ts';
import { TranslationError } from './translator.ts';

type Raw = Record<string, unknown>;

export function conversationFromMessages(request: Raw): Conversation {
  if (!Array.isArray(request.messages)) throw new TranslationError('messages must be an array');
  const turns: Turn[] = [];
  for (const [i, message] of (request.messages as Raw[]).entries()) {
    const role = message?.role;
    if (role !== 'user' && role !== 'assistant')
      throw new TranslationError(`messages[${i}].role must be 'user' or 'assistant'`);
    appendTurn(turns, role, contentBlocks(message.content, `messages[${i}].content`));
  }
  const metadata = request.metadata as { user_id?: unknown } | undefined;
  return {
    system: systemBlocks(request.system),
    turns,
    tools: Array.isArray(request.tools) ? (request.tools as Raw[]).map(toolDefinition) : [],
    ...toolChoice(request.tool_choice),
    ...optional('maxTokens', number(request.max_tokens)),
    ...optional('temperature', number(request.temperature)),
    ...optional('topP', number(request.top_p)),
    ...optional('topK', number(request.top_k)),
    ...optional(
      'stop',
      Array.isArray(request.stop_sequences) ? (request.stop_sequences as string[]) : undefined,
    ),
    stream: request.stream === true,
    ...optional('thinking', thinking(request.thinking)),
    ...optional('user', typeof metadata?.user_id === 'string' ? metadata.user_id : undefined),
  };
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function cacheOf(block: Raw): CacheControl | undefined {
  const cache = block.cache_control as CacheControl | undefined;
  return cache !== undefined && cache !== null && typeof cache.type === 'string' ? cache : undefined;
}

function withCache<T extends object>(value: T, raw: Raw): T {
  const cache = cacheOf(raw);
  return cache === undefined ? value : { ...value, cache };
}

function systemBlocks(system: unknown): TextBlock[] {
  if (system === undefined || system === null) return [];
  if (typeof system === 'string') return system === '' ? [] : [{ type: 'text', text: system }];
  if (!Array.isArray(system)) throw new TranslationError('system must be a string or a list of text blocks');
  return (system as Raw[]).map((block, i) => {
    if (block?.type !== 'text' || typeof block.text !== 'string')
      throw new TranslationError(`system[${i}] must be a text block`);
    return withCache({ type: 'text', text: block.text }, block);
  });
}

function contentBlocks(content: unknown, at: string): ContentBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw new TranslationError(`${at} must be a string or a list of blocks`);
  return (content as Raw[]).map((block, i) => contentBlock(block, `${at}[${i}]`));
}

function contentBlock(block: Raw, at: string): ContentBlock {
  switch (block?.type) {
    case 'text':
      return withCache({ type: 'text', text: String(block.text ?? '') }, block);
    case 'image':
      return withCache({ type: 'image', source: mediaSource(block.source, at) }, block);
    case 'document':
      return withCache({ type: 'document', source: mediaSource(block.source, at) }, block);
    case 'tool_use':
      return withCache(
        {
          type: 'tool_use',
          id: String(block.id ?? ''),
          name: String(block.name ?? ''),
          input: block.input ?? {},
        },
        block,
      );
    case 'tool_result':
      return withCache(
        {
          type: 'tool_result',
          toolUseId: String(block.tool_use_id ?? ''),
          content: toolResultContent(block.content, `${at}.content`),
          isError: block.is_error === true,
        },
        block,
      );
    case 'thinking':
    case 'redacted_thinking':
      return reasoningBlock(block)!;
    default:
      throw new TranslationError(
        `${at}: blocks of type '${String(block?.type)}' cannot be translated for this backend`,
      );
  }
}

function toolResultContent(content: unknown, at: string): (TextBlock | ImageBlock | DocumentBlock)[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return contentBlocks(content, at).map((block) => {
    if (block.type === 'text' || block.type === 'image' || block.type === 'document') return block;
    throw new TranslationError(`${at}: a tool result holds text, images and documents only`);
  });
}

function mediaSource(source: unknown, at: string): MediaSource {
  const raw = source as Raw | undefined;
  if (raw?.type === 'base64' && typeof raw.data === 'string')
    return {
      kind: 'base64',
      mediaType: String(raw.media_type ?? 'application/octet-stream'),
      data: raw.data,
    };
  if (raw?.type === 'url' && typeof raw.url === 'string') return { kind: 'url', url: raw.url };
  throw new TranslationError(`${at}.source must be a base64 or url source`);
}

function toolDefinition(tool: Raw, i: number): ToolDefinition {
  if (tool?.type !== undefined && tool.type !== 'custom')
    throw new TranslationError(
      `tools[${i}]: the server tool '${String(tool.type)}' exists only on Anthropic's API`,
    );
  if (typeof tool.name !== 'string') throw new TranslationError(`tools[${i}].name is required`);
  return withCache(
    {
      name: tool.name,
      ...optional('description', typeof tool.description === 'string' ? tool.description : undefined),
      parameters: (tool.input_schema as Record<string, unknown> | undefined) ?? {
        type: 'object',
        properties: {},
      },
    },
    tool,
  );
}

function toolChoice(raw: unknown): { toolChoice?: ToolChoice; parallelToolCalls?: boolean } {
  const choice = raw as Raw | undefined;
  if (choice === undefined || choice === null) return {};
  const parallel = choice.disable_parallel_tool_use === true ? { parallelToolCalls: false } : {};
  switch (choice.type) {
    case 'auto':
      return { toolChoice: { type: 'auto' }, ...parallel };
    case 'any':
      return { toolChoice: { type: 'any' }, ...parallel };
    case 'none':
      return { toolChoice: { type: 'none' } };
    case 'tool':
      if (typeof choice.name !== 'string') throw new TranslationError('tool_choice.name is required');
      return { toolChoice: { type: 'tool', name: choice.name }, ...parallel };
    default:
      throw new TranslationError("tool_choice.type must be 'auto', 'any', 'tool' or 'none'");
  }
}

function thinking(raw: unknown): Thinking | undefined {
  const config = raw as Raw | undefined;
  if (config === undefined || config === null) return undefined;
  if (config.type === 'enabled') return { type: 'enabled', budgetTokens: Number(config.budget_tokens ?? 0) };
  if (config.type === 'disabled') return { type: 'disabled' };
  if (config.type === 'adaptive') return { type: 'adaptive' };
  throw new TranslationError("thinking.type must be 'enabled', 'disabled' or 'adaptive'");
}
