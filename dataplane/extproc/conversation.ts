// The chat request every chat-like client API (OpenAI chat completions, Anthropic Messages) is read into and
// every chat-like upstream (Anthropic, Bedrock Converse, Gemini, OpenAI chat) is written from: one walk per API
// on each side instead of one per pair. Block shapes follow Anthropic's, the richest of the set.

export interface CacheControl {
  readonly type: string;
  readonly ttl?: string;
}

export type MediaSource =
  | { readonly kind: 'base64'; readonly mediaType: string; readonly data: string }
  | { readonly kind: 'url'; readonly url: string };

export interface TextBlock {
  readonly type: 'text';
  readonly text: string;
  readonly cache?: CacheControl;
}

export interface ImageBlock {
  readonly type: 'image';
  readonly source: MediaSource;
  readonly cache?: CacheControl;
}

/** A PDF (Anthropic `document`). */
export interface DocumentBlock {
  readonly type: 'document';
  readonly source: MediaSource;
  readonly cache?: CacheControl;
}

export interface ToolUseBlock {
  readonly type: 'tool_use';
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
  readonly cache?: CacheControl;
}

export interface ToolResultBlock {
  readonly type: 'tool_result';
  readonly toolUseId: string;
  readonly content: readonly (TextBlock | ImageBlock | DocumentBlock)[];
  readonly isError: boolean;
  readonly cache?: CacheControl;
}

export interface ThinkingBlock {
  readonly type: 'thinking';
  readonly thinking: string;
  readonly signature?: string;
}

export interface RedactedThinkingBlock {
  readonly type: 'redacted_thinking';
  readonly data: string;
}

export type ContentBlock =
  | TextBlock
  | ImageBlock
  | DocumentBlock
  | ToolUseBlock
  | ToolResultBlock
  | ThinkingBlock
  | RedactedThinkingBlock;

export interface Turn {
  readonly role: 'user' | 'assistant';
  readonly content: ContentBlock[];
}

export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the input. */
  readonly parameters: Record<string, unknown>;
  readonly cache?: CacheControl;
  readonly strict?: boolean;
}

export type ToolChoice =
  | { readonly type: 'auto' }
  | { readonly type: 'any' }
  | { readonly type: 'none' }
  | { readonly type: 'tool'; readonly name: string };

export type Thinking =
  | { readonly type: 'enabled'; readonly budgetTokens: number }
  | { readonly type: 'disabled' }
  | { readonly type: 'adaptive' };

export interface Conversation {
  readonly system: readonly TextBlock[];
  /** Alternating roles: consecutive turns of one role are merged when read. */
  readonly turns: readonly Turn[];
  readonly tools: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
  /** false when the client forbade parallel tool calls. */
  readonly parallelToolCalls?: boolean;
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly stop?: readonly string[];
  readonly stream: boolean;
  readonly thinking?: Thinking;
  readonly reasoningEffort?: string;
  /** An end-user id for abuse tracking (OpenAI `user`, Anthropic `metadata.user_id`). */
  readonly user?: string;
}

/** Appends a turn, merging it into the previous one when the role repeats (upstreams want alternation). */
export function appendTurn(turns: Turn[], role: Turn['role'], content: ContentBlock[]): void {
  if (content.length === 0) return;
  const last = turns.at(-1);
  if (last !== undefined && last.role === role) last.content.push(...content);
  else turns.push({ role, content });
}

/**
 * A thinking or redacted-thinking block in the `{type, thinking, signature}` / `{type, data}` shape Anthropic's
 * API and the LiteLLM `thinking_blocks` convention share; undefined for any other block.
 */
export function reasoningBlock(
  raw: Record<string, unknown>,
): ThinkingBlock | RedactedThinkingBlock | undefined {
  if (raw.type === 'redacted_thinking') return { type: 'redacted_thinking', data: String(raw.data ?? '') };
  if (raw.type !== 'thinking') return undefined;
  const thinking = String(raw.thinking ?? '');
  return typeof raw.signature === 'string'
    ? { type: 'thinking', thinking, signature: raw.signature }
    : { type: 'thinking', thinking };
}

/** The text of text blocks, concatenated. */
export function blocksText(blocks: readonly ContentBlock[]): string {
  let text = '';
  for (const block of blocks) if (block.type === 'text') text += block.text;
  return text;
}

/** A `data:<type>;base64,<data>` URL as a base64 source; anything else as a URL source. */
export function mediaFromUrl(url: string): MediaSource {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return data === null ? { kind: 'url', url } : { kind: 'base64', mediaType: data[1]!, data: data[2]! };
}

/** The source as a URL (a data URL for inline data). */
export function mediaUrl(source: MediaSource): string {
  return source.kind === 'url' ? source.url : `data:${source.mediaType};base64,${source.data}`;
}
