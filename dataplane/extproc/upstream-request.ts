// The request one backend gets: the client's body translated for the backend's schema, the path, the backend's
// credentials (configured or per request) and mutations, and the header changes Envoy applies. Pure given its
// inputs: the time signs AWS requests and dates responses.
import {
  authHeaders,
  type CredentialSources,
  MissingCredentialError,
  overrideHeaderNames,
} from './backend-auth.ts';
import { mutateBody } from './backend-mutations.ts';
import type { Backend, ExtProcConfig, RoutingRule } from './config.ts';
import type { Handoff } from './fallback-handoff.ts';
import type { MultipartForm } from './multipart-form.ts';
import { selectTranslator } from './select-translator.ts';
import { type ClientApi, type TranslationContext, TranslationError, type Translator } from './translator.ts';

/** Client credentials are not forwarded to a backend we authenticate to ourselves. */
const CLIENT_CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key'];

/** What the client sent that every backend's request is built from. */
export interface ClientRequest {
  readonly api: ClientApi;
  /** Lower-case names, as Envoy sent them (the client's `x-ai-eg-*` already removed). */
  readonly headers: Readonly<Record<string, string>>;
  readonly credentialSources: CredentialSources;
  readonly requestId: string;
  /** The client's body was gzip-compressed: what goes upstream is the translated, uncompressed body. */
  readonly gzip: boolean;
  /** The client's multipart form (uploads), read once its body came. */
  readonly form?: MultipartForm;
}

/** A translated request, or why the service answers the client itself. */
export type UpstreamTranslation =
  | {
      readonly ok: true;
      readonly translator: Translator;
      readonly context: TranslationContext;
      readonly set: Record<string, string>;
      readonly remove: string[];
      readonly body: Buffer;
    }
  | {
      readonly ok: false;
      readonly status: number;
      readonly message: string;
      readonly code: string;
    };

/** The context a translator works with, for `backend` and the client's body. */
export function translationContext(
  client: ClientRequest,
  backend: Backend,
  body: Record<string, unknown>,
  model: string,
  rule: RoutingRule | undefined,
  time: number,
): TranslationContext {
  const stream = body.stream === true;
  const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
  return {
    model: backend.modelNameOverride ?? model,
    requestModel: model,
    stream,
    created: Math.floor(time / 1000),
    requestId: client.requestId,
    // Costs need usage at the end of a stream: every translated stream then ends with a usage chunk.
    includeUsage: streamOptions?.include_usage === true || (rule?.hasCosts ?? false),
    headers: client.headers,
    ...(client.form === undefined ? {} : { form: client.form }),
    ...(typeof body.encoding_format === 'string' ? { encodingFormat: body.encoding_format } : {}),
  };
}

/**
 * The request for `backend`: translated body, path and auth, the backend's mutations; for an attempt of a
 * fallback rule (`original` set) also every header an earlier attempt changed put back as the client sent it.
 */
export function upstreamRequest(
  config: ExtProcConfig,
  client: ClientRequest,
  backend: Backend,
  clientBody: Record<string, unknown>,
  model: string,
  rule: RoutingRule | undefined,
  time: number,
  original: Handoff['headers'] | undefined,
): UpstreamTranslation {
  const api = client.api;
  const translator = selectTranslator(api, backend);
  if (translator === undefined) {
    return {
      ok: false,
      status: 422,
      message:
        api === 'openai.tokenize'
          ? `backend '${backend.name}' (${backend.schema}) has no tokenizer or token counting; /tokenize is served on OpenAI (vLLM), GCPVertexAI, GCPAnthropic, AWSBedrock and AWSAnthropic backends`
          : `backend '${backend.name}' (${backend.schema}) does not serve this API`,
      code: 'unsupported_api',
    };
  }
  const context = translationContext(client, backend, clientBody, model, rule, time);
  let body = clientBody;
  // OpenAI upstreams report a stream's tokens only in the usage chunk they send when asked.
  if (context.stream && rule?.hasCosts && (api === 'openai.chat' || api === 'openai.completions')) {
    const options = body.stream_options as { include_usage?: boolean } | undefined;
    if (options?.include_usage !== true)
      body = { ...body, stream_options: { ...options, include_usage: true } };
  }
  let upstream: ReturnType<Translator['request']>;
  try {
    upstream = translator.request(body, context);
    if (backend.bodyMutation !== undefined) {
      if (upstream.formBody !== undefined)
        throw new TranslationError(
          `backend '${backend.name}' has a bodyMutation, which applies to JSON bodies; this API sends a multipart form`,
        );
      upstream = { ...upstream, body: mutateBody(upstream.body, backend.bodyMutation) };
    }
  } catch (error) {
    if (error instanceof TranslationError)
      return {
        ok: false,
        status: error.status,
        message: error.message,
        code: error.status === 400 ? 'invalid_request' : 'translation_failed',
      };
    throw error;
  }
  // Encoded once: its length is the content-length.
  const upstreamBody = Buffer.from(upstream.formBody ?? upstream.body);
  const set: Record<string, string> = {
    [config.modelNameHeaderKey]: model,
    ':path': upstream.path,
    'content-length': String(upstreamBody.length),
    ...upstream.headers,
  };
  const remove = new Set<string>();
  if (context.stream) remove.add('accept-encoding'); // streamed bodies are translated as they come, uncompressed
  if (backend.host !== undefined) set[':authority'] = backend.host;
  for (const header of backend.headerMutation?.remove ?? []) remove.add(header);
  for (const header of backend.headerMutation?.set ?? []) {
    set[header.name] = header.value;
    remove.delete(header.name);
  }
  for (const header of overrideHeaderNames(backend.auth)) remove.add(header);
  // A gzip request body was inflated to be read; what goes upstream is the translated, uncompressed body.
  if (client.gzip) remove.add('content-encoding');
  if (backend.auth !== undefined) {
    try {
      Object.assign(set, signedHeaders(client, backend, upstream.path, upstreamBody, set, time));
    } catch (error) {
      if (error instanceof MissingCredentialError)
        return { ok: false, status: 401, message: error.message, code: 'missing_upstream_credential' };
      throw error;
    }
    for (const name of CLIENT_CREDENTIAL_HEADERS) if (!(name in set)) remove.add(name);
  }
  for (const name of Object.keys(set)) remove.delete(name);
  if (original !== undefined) {
    for (const [name, value] of Object.entries(original)) {
      if (name in set || remove.has(name)) continue;
      if (value === null) remove.add(name);
      else set[name] = value;
    }
  }
  return { ok: true, translator, context, set, remove: [...remove], body: upstreamBody };
}

/** The backend's credential headers for this request (an AWS signature covers the translated body). */
function signedHeaders(
  client: ClientRequest,
  backend: Backend,
  path: string,
  body: string | Uint8Array,
  set: Record<string, string>,
  time: number,
): Record<string, string> {
  const signed: Record<string, string> = {};
  if (set['content-type'] !== undefined) signed['content-type'] = set['content-type'];
  const host = set[':authority'] ?? client.headers[':authority'] ?? client.headers.host ?? '';
  return authHeaders(
    backend.auth,
    { method: 'POST', host, path, headers: signed, body, time },
    client.credentialSources,
  );
}
