// The parts of the OpenAI Chat Completions API we read and write (client-facing schema), with the vendor fields
// Envoy AI Gateway accepts: `cache_control` on content parts, tools and messages (Anthropic prompt caching),
// `thinking` on the request, `reasoning_content` / `thinking_blocks` on replies (the LiteLLM convention).

export interface CacheControlField {
  cache_control?: { type: string; ttl?: string };
}

export interface ChatToolCall extends CacheControlField {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatContentPart = CacheControlField &
  (
    | { type: 'text'; text: string }
    | { type: 'image_url'; image_url: { url: string; detail?: string } }
    | { type: 'refusal'; refusal: string }
    | { type: 'thinking'; text?: string; thinking?: string; signature?: string }
    | { type: 'redacted_thinking'; redacted_content?: string; data?: string }
    | { type: 'input_audio' | 'file' }
  );

/** The LiteLLM convention for reasoning with signatures (echoed back by clients on assistant messages). */
export interface ThinkingBlock {
  type: 'thinking' | 'redacted_thinking';
  thinking?: string;
  signature?: string;
  data?: string;
}

export interface ChatMessage extends CacheControlField {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  thinking_blocks?: ThinkingBlock[];
}

export interface ChatTool extends CacheControlField {
  type: 'function';
  function: CacheControlField & {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean;
  };
}

export type ChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export type ThinkingConfig =
  | { type: 'enabled'; budget_tokens: number; include_thoughts?: boolean }
  | { type: 'disabled' }
  | { type: 'adaptive' };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop?: string | string[];
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  user?: string;
  thinking?: ThinkingConfig;
  reasoning_effort?: string;
  [field: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_creation_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
  tool_calls?: ChatToolCall[];
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: number; message: ChatCompletionMessage; finish_reason: FinishReason | null }[];
  usage?: ChatUsage;
}

export interface ChatChunkToolCall {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

export interface ChatChunkDelta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
  tool_calls?: ChatChunkToolCall[];
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: number; delta: ChatChunkDelta; finish_reason: FinishReason | null }[];
  usage?: ChatUsage | null;
}
