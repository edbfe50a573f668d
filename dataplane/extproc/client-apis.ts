// The client APIs this service serves, told apart by the request path, and what a request's headers must say
// for its body to be read.
import { formBoundary } from './multipart-form.ts';
import type { ClientApi } from './translator.ts';

const API_BY_PATH: Readonly<Record<string, ClientApi>> = {
  '/v1/chat/completions': 'openai.chat',
  '/v1/completions': 'openai.completions',
  '/v1/embeddings': 'openai.embeddings',
  '/v1/responses': 'openai.responses',
  '/v1/responses/input_tokens': 'openai.responses_input_tokens',
  '/v1/images/generations': 'openai.images',
  '/v1/audio/speech': 'openai.speech',
  '/v1/audio/transcriptions': 'openai.transcriptions',
  '/v1/audio/translations': 'openai.translations',
  '/tokenize': 'openai.tokenize',
  '/v1/messages': 'anthropic.messages',
  '/anthropic/v1/messages': 'anthropic.messages',
  '/v1/messages/count_tokens': 'anthropic.count_tokens',
  '/anthropic/v1/messages/count_tokens': 'anthropic.count_tokens',
  '/cohere/v2/rerank': 'cohere.rerank',
};

/**
 * APIs whose successful response is generated media the service never reads (speech): Envoy must not buffer it
 * at all, which only the reply to the request headers can tell it in time (see StreamProcessor).
 */
const MEDIA_RESPONSE_APIS: ReadonlySet<ClientApi> = new Set(['openai.speech']);

export function answersWithMedia(api: ClientApi): boolean {
  return MEDIA_RESPONSE_APIS.has(api);
}

/** APIs whose request body is a multipart/form-data upload (audio files) rather than JSON. */
const FORM_APIS: ReadonlySet<ClientApi> = new Set(['openai.transcriptions', 'openai.translations']);

export function sendsForm(api: ClientApi): boolean {
  return FORM_APIS.has(api);
}

/** The client API a request path names (query string ignored). */
export function apiForPath(path: string | undefined): ClientApi | undefined {
  if (path === undefined) return undefined;
  const at = path.indexOf('?');
  return API_BY_PATH[at < 0 ? path : path.slice(0, at)];
}

/** Why a request body cannot be read (as JSON, or as a form for uploads), judged from its headers; else undefined. */
export function unreadableBody(
  headers: Readonly<Record<string, string>>,
  api: ClientApi,
): string | undefined {
  const type = headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (sendsForm(api)) {
    if (formBoundary(headers['content-type']) === undefined)
      return `content-type ${type || '(none)'} is not multipart/form-data with a boundary; send the audio file as a form`;
  } else if (type !== undefined && type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    return `content-type ${type} is not JSON; send the request as application/json`;
  }
  const encodings = (headers['content-encoding'] ?? '')
    .split(',')
    .map((encoding) => encoding.trim().toLowerCase())
    .filter((encoding) => encoding !== '' && encoding !== 'identity');
  if (encodings.length > 1 || (encodings.length === 1 && encodings[0] !== 'gzip')) {
    return `content-encoding ${encodings.join(', ')} cannot be decoded; send the body uncompressed or as gzip`;
  }
  return undefined;
}
