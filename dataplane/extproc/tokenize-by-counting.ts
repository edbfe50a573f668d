// vLLM's /tokenize on upstreams that can only count tokens (Anthropic on Vertex and on Bedrock), as Envoy AI
// Gateway answers it there: the request read as a chat (a completion's prompt as one user message), translated as
// the chat would be, and its messages, system prompt and tools counted by the upstream's token counting; the answer
// is the count alone (`{"count":N,"max_model_len":0,"tokens":null}`, Envoy AI Gateway's shape: no token ids).
import { parseJsonObject } from './client-errors.ts';
import { checkedTokenize } from './openai-translator.ts';
import { TranslationError, type Translator } from './translator.ts';

/** The fields of an Anthropic Messages body that token counting takes. */
const COUNTED_FIELDS = ['messages', 'system', 'tools', 'tool_choice'] as const;

/**
 * `chat` translates an OpenAI chat request for the upstream (its body carries Anthropic's messages); `count` is
 * the upstream's token counting for an Anthropic body, answering `{input_tokens}`.
 */
export function tokenizeByCounting(chat: Translator, counter: Translator): Translator {
  return {
    rewritesResponse: true,
    request: (body, context) => {
      checkedTokenize(body, context);
      const messages = body.messages ?? [
        { role: 'user', content: typeof body.prompt === 'string' ? body.prompt : '' },
      ];
      const translated = parseJsonObject(
        chat.request({ model: body.model, messages, tools: body.tools }, context).body,
      );
      const counted: Record<string, unknown> = {};
      for (const field of COUNTED_FIELDS)
        if (translated?.[field] !== undefined) counted[field] = translated[field];
      return counter.request(counted, context);
    },
    response: (body, context) => {
      const count = parseJsonObject(counter.response(body, context).body)?.input_tokens;
      if (typeof count !== 'number')
        throw new TranslationError('the upstream token count has no input_tokens');
      return { body: JSON.stringify({ count, max_model_len: 0, tokens: null }), usage: undefined };
    },
    stream: () => {
      throw new TranslationError('tokenize is not streamed');
    },
    // The chat translator puts the upstream's errors in OpenAI's shape.
    error: chat.error,
  };
}
