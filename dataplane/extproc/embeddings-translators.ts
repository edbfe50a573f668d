// OpenAI embeddings clients on upstreams with an embeddings API of their own: GCP Vertex AI (`predict` for the
// text-embedding models, `embedContent` for the gemini-embedding ones) and AWS Bedrock (Titan through
// InvokeModel, one input per request). Responses become OpenAI's `list` of embeddings, as floats or — when the
// client asked, as the OpenAI SDK does by default — base64 of little-endian float32.
import { openAIErrorType, parseJsonObject } from './client-errors.ts';
import { converseUpstreamError } from './converse-upstream.ts';
import { geminiUpstreamError, type VertexLocation, vertexModelPath } from './gemini-upstream.ts';
import { openAIErrorFromUpstream } from './openai-chat-writer.ts';
import type { UpstreamError } from './reply.ts';
import { tokenUsage } from './token-usage.ts';
import { type TranslationContext, TranslationError, type Translator } from './translator.ts';

type Json = Record<string, unknown>;

/** The input as a list of texts; token arrays cannot be sent to these upstreams. */
function inputTexts(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((item) => typeof item === 'string')) return input as string[];
  throw new TranslationError('input must be a string or a list of strings for this backend');
}

function embeddingValue(values: readonly number[], base64: boolean): number[] | string {
  if (!base64) return [...values];
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

/** OpenAI's embeddings list. */
function embeddingsBody(
  vectors: readonly (readonly number[])[],
  context: TranslationContext,
  tokens: number,
) {
  const base64 = context.encodingFormat === 'base64';
  return JSON.stringify({
    object: 'list',
    data: vectors.map((values, index) => ({
      object: 'embedding',
      index,
      embedding: embeddingValue(values, base64),
    })),
    model: context.requestModel,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

function errorTranslator(
  read: (status: number, body: Uint8Array, headers: Readonly<Record<string, string>>) => UpstreamError,
) {
  return (status: number, body: Uint8Array, headers: Readonly<Record<string, string>>) =>
    openAIErrorFromUpstream(status, read(status, body, headers));
}

function noStream(): never {
  throw new TranslationError('embeddings are not streamed');
}

/** Gemini embedding models other than gemini-embedding-001 use embedContent (one content of parts). */
function usesEmbedContent(model: string): boolean {
  return model.includes('gemini') && model !== 'gemini-embedding-001';
}

export function vertexEmbeddingsTranslator(location: VertexLocation): Translator {
  return {
    rewritesResponse: true,
    request: (body, context) => {
      const texts = inputTexts(body.input);
      const dimensions = typeof body.dimensions === 'number' ? body.dimensions : undefined;
      const base = vertexModelPath(location, 'google', context.model);
      if (usesEmbedContent(context.model)) {
        if (texts.length > 1)
          throw new TranslationError(`model ${context.model} embeds one input per request; send one input`);
        const config: Json = {};
        if (dimensions !== undefined) config.outputDimensionality = dimensions;
        if (typeof body.auto_truncate === 'boolean') config.autoTruncate = body.auto_truncate;
        if (typeof body.task_type === 'string') config.taskType = body.task_type;
        if (typeof body.title === 'string') config.title = body.title;
        return {
          path: `${base}:embedContent`,
          body: JSON.stringify({
            content: { parts: texts.map((text) => ({ text })) },
            ...(Object.keys(config).length > 0 ? { embedContentConfig: config } : {}),
          }),
          headers: { 'content-type': 'application/json' },
        };
      }
      const parameters: Json = {};
      if (typeof body.auto_truncate === 'boolean') parameters.auto_truncate = body.auto_truncate;
      if (dimensions !== undefined && dimensions > 0) parameters.outputDimensionality = dimensions;
      const instances = texts.map((content) => ({
        content,
        ...(typeof body.task_type === 'string' ? { task_type: body.task_type } : {}),
        ...(typeof body.title === 'string' ? { title: body.title } : {}),
      }));
      return {
        path: `${base}:predict`,
        body: JSON.stringify({ instances, parameters }),
        headers: { 'content-type': 'application/json' },
      };
    },
    response: (body, context) => {
      const parsed = parseJsonObject(body) as
        | {
            predictions?: { embeddings?: { values?: number[]; statistics?: { token_count?: number } } }[];
            embedding?: { values?: number[] };
            usageMetadata?: { promptTokenCount?: number };
          }
        | undefined;
      let vectors: number[][];
      let tokens = 0;
      if (Array.isArray(parsed?.predictions)) {
        vectors = parsed.predictions.map((prediction) => prediction.embeddings?.values ?? []);
        for (const prediction of parsed.predictions)
          tokens += prediction.embeddings?.statistics?.token_count ?? 0;
      } else if (parsed?.embedding !== undefined) {
        vectors = [parsed.embedding.values ?? []];
        tokens = parsed.usageMetadata?.promptTokenCount ?? 0;
      } else throw new TranslationError('upstream answered with a body that is not a Vertex AI embedding');
      return {
        body: embeddingsBody(vectors, context, tokens),
        usage: tokenUsage(tokens, 0),
      };
    },
    stream: noStream,
    error: errorTranslator((status, body) => geminiUpstreamError(status, body)),
  };
}

/** Titan embeddings on Bedrock: `{inputText, dimensions}` to InvokeModel, one input per request. */
export function bedrockEmbeddingsTranslator(): Translator {
  return {
    rewritesResponse: true,
    request: (body, context) => {
      const texts = inputTexts(body.input);
      if (texts.length !== 1)
        throw new TranslationError(`AWS Bedrock embeds one input per request (got ${texts.length})`);
      return {
        path: `/model/${encodeURIComponent(context.model)}/invoke`,
        body: JSON.stringify({
          inputText: texts[0],
          ...(typeof body.dimensions === 'number' ? { dimensions: body.dimensions } : {}),
        }),
        headers: { 'content-type': 'application/json' },
      };
    },
    response: (body, context) => {
      const parsed = parseJsonObject(body) as
        | { embedding?: number[]; inputTextTokenCount?: number }
        | undefined;
      if (!Array.isArray(parsed?.embedding))
        throw new TranslationError('upstream answered with a body that is not a Titan embedding');
      const tokens = parsed.inputTextTokenCount ?? 0;
      return {
        body: embeddingsBody([parsed.embedding], context, tokens),
        usage: tokenUsage(tokens, 0),
      };
    },
    stream: noStream,
    error: errorTranslator((status, body, headers) => {
      const error = converseUpstreamError(status, body, headers);
      return error.type === undefined ? { ...error, type: openAIErrorType(status) } : error;
    }),
  };
}
