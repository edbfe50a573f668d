// One ext_proc stream's logic, phase by phase: request headers (routing by path, size limit, model lists),
// request body (model routing, translation, auth, mutations), response headers (mode override, header fixes)
// and response body (translation, usage → dynamic metadata). The same processor serves the router filter and,
// for fallback rules, the upstream filter that translates each attempt (see fallback-handoff.ts). Pure given its
// inputs: time comes with each call.
import {
  authHeaders,
  type CredentialSources,
  MissingCredentialError,
  overrideHeaderNames,
} from './backend-auth.ts';
import { mutateBody } from './backend-mutations.ts';
import { clientErrorBody, parseJsonObject } from './client-errors.ts';
import type { Backend, ExtProcConfig, ModelInfo, RoutingRule } from './config.ts';
import {
  ATTEMPT_HEADERS,
  BACKEND_ATTRIBUTE,
  BODY_LIMIT_ATTRIBUTE,
  EXT_PROC_ATTRIBUTES_KEY,
  type Handoff,
  unwrapBody,
  wrapBody,
} from './fallback-handoff.ts';
import { GzipStream, gunzipBody, gunzipRequestBody, isGzip } from './gzip-body.ts';
import {
  type HeaderMutation,
  type HttpBody,
  type HttpHeaders,
  headerRecord,
  metadataStruct,
  type ProcessingRequest,
  type ProcessingResponse,
  protoValue,
  setHeaders,
} from './processing-messages.ts';
import { selectTranslator } from './select-translator.ts';
import type { TokenUsage } from './token-usage.ts';
import {
  type ClientApi,
  type StreamTranslator,
  type TranslationContext,
  TranslationError,
  type Translator,
} from './translator.ts';
import { asBuffer } from './utf8.ts';

const API_BY_PATH: Readonly<Record<string, ClientApi>> = {
  '/v1/chat/completions': 'openai.chat',
  '/v1/completions': 'openai.completions',
  '/v1/embeddings': 'openai.embeddings',
  '/v1/responses': 'openai.responses',
  '/v1/responses/input_tokens': 'openai.responses_input_tokens',
  '/v1/images/generations': 'openai.images',
  '/v1/messages': 'anthropic.messages',
  '/anthropic/v1/messages': 'anthropic.messages',
  '/v1/messages/count_tokens': 'anthropic.count_tokens',
  '/anthropic/v1/messages/count_tokens': 'anthropic.count_tokens',
  '/cohere/v2/rerank': 'cohere.rerank',
};

/** Client credentials are not forwarded to a backend we authenticate to ourselves. */
const CLIENT_CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key'];

const EMPTY: { response: Record<string, never> } = { response: {} };

type Phase = 'request-headers' | 'request-body' | 'response-headers' | 'response-body' | 'done';

/** What the processor decided, for logs and stats; never includes credentials or bodies. */
export interface StreamOutcome {
  readonly api: ClientApi | undefined;
  readonly model: string | undefined;
  readonly backend: string | undefined;
  readonly status: number | undefined;
  readonly usage: TokenUsage | undefined;
  readonly costError: string | undefined;
}

/** A translated request, or the immediate error reply that replaces it. */
type Translation =
  | {
      readonly ok: true;
      readonly set: Record<string, string>;
      readonly remove: string[];
      readonly body: Buffer;
    }
  | { readonly ok: false; readonly reply: ProcessingResponse };

export class StreamProcessor {
  readonly #config: ExtProcConfig;
  readonly #fallbackId: string;
  #phase: Phase = 'request-headers';
  /** The upstream filter of a fallback rule's cluster: it translates one attempt, Envoy names the backend. */
  #attemptBackend: string | undefined;
  #api: ClientApi | undefined;
  #requestHeaders: Record<string, string> = {};
  #credentialSources: CredentialSources = { headers: {}, metadata: {} };
  #requestId = '';
  #requestChunks: Buffer[] = [];
  #requestBytes = 0;
  /** The request body limit: the listener's (Envoy's buffer limit, named in its metadata), else the config's. */
  #maxRequestBodyBytes: number;
  #rule: RoutingRule | undefined;
  #backend: Backend | undefined;
  #translator: Translator | undefined;
  #context: TranslationContext | undefined;
  /** The client's request as the response side needs it, when Envoy picks the backend (fallback rules). */
  #handoff: { body: Record<string, unknown>; time: number } | undefined;
  #model: string | undefined;
  #status: number | undefined;
  #responseHeaders: Record<string, string> = {};
  #responseChunks: Buffer[] = [];
  #streamed = false;
  #gzip = false;
  /** The client's body is gzip-compressed (content-encoding: gzip): inflated before it is read. */
  #requestGzip = false;
  #gzipStream: GzipStream | undefined;
  #streamTranslator: StreamTranslator | undefined;
  #usage: TokenUsage | undefined;
  #costError: string | undefined;

  constructor(config: ExtProcConfig, fallbackId: string) {
    this.#config = config;
    this.#fallbackId = fallbackId;
    this.#maxRequestBodyBytes = config.maxRequestBodyBytes;
  }

  get outcome(): StreamOutcome {
    return {
      api: this.#api,
      model: this.#model,
      backend: this.#backend?.name ?? this.#attemptBackend,
      status: this.#status,
      usage: this.#usage,
      costError: this.#costError,
    };
  }

  get finished(): boolean {
    return this.#phase === 'done';
  }

  /** The reply to one ProcessingRequest; `time` (ms since the epoch) dates responses and AWS signatures. */
  process(request: ProcessingRequest, time: number): ProcessingResponse {
    if (request.request_headers) return this.#onRequestHeaders(request);
    if (request.request_body) return this.#onRequestBody(request.request_body, time);
    if (request.response_headers) return this.#onResponseHeaders(request.response_headers);
    if (request.response_body) return this.#onResponseBody(request.response_body);
    if (request.request_trailers) return { request_trailers: {} };
    return { response_trailers: {} };
  }

  /** An immediate error reply in the client's schema (also used by the pool when it is full). */
  static errorResponse(
    api: ClientApi | undefined,
    status: number,
    message: string,
    code?: string,
    extra: Record<string, string> = {},
  ): ProcessingResponse {
    return {
      immediate_response: {
        status: { code: status },
        headers: { set_headers: setHeaders({ 'content-type': 'application/json', ...extra }) },
        body: Buffer.from(clientErrorBody(api ?? 'openai.chat', status, message, code)),
        details: message,
      },
    };
  }

  /** The client API a request path names (query string ignored). */
  static apiForPath(path: string | undefined): ClientApi | undefined {
    if (path === undefined) return undefined;
    const at = path.indexOf('?');
    return API_BY_PATH[at < 0 ? path : path.slice(0, at)];
  }

  #reject(status: number, message: string, code?: string): ProcessingResponse {
    this.#phase = 'done';
    this.#status = status;
    return StreamProcessor.errorResponse(this.#api, status, message, code);
  }

  #onRequestHeaders(request: ProcessingRequest): ProcessingResponse {
    const message = request.request_headers!;
    const headers = headerRecord(message);
    this.#requestHeaders = headers;
    this.#requestId = headers['x-request-id'] || this.#fallbackId;
    this.#credentialSources = { headers, metadata: forwardedMetadata(request) };
    this.#maxRequestBodyBytes = listenerBodyLimit(request) ?? this.#config.maxRequestBodyBytes;
    const attempt = attemptBackend(request);
    if (attempt !== undefined) {
      this.#attemptBackend = attempt;
      this.#phase = 'request-body';
      return { request_headers: EMPTY };
    }
    const path = headers[':path'] ?? '';
    const bare = path.split('?', 1)[0]!;
    const method = headers[':method'] ?? 'GET';
    if (method === 'GET' && bare === '/v1/models') return this.#models('openai');
    if (method === 'GET' && bare === '/anthropic/v1/models') return this.#models('anthropic');
    this.#api = StreamProcessor.apiForPath(path);
    if (this.#api === undefined) return this.#unknownPath(bare);
    if (method !== 'POST') return this.#reject(405, `${bare} accepts POST only`);
    const length = Number(headers['content-length'] ?? '0');
    if (length > this.#maxRequestBodyBytes) return this.#tooLarge();
    const unreadable = unreadableBody(headers);
    if (unreadable !== undefined) return this.#reject(415, unreadable, 'unsupported_media_type');
    this.#requestGzip = isGzip(headers['content-encoding']);
    if (message.end_of_stream === true) return this.#reject(400, 'the request has no body; send a JSON body');
    this.#phase = 'request-body';
    // The model and backend headers route the request once this service has set them from the body: a client's
    // own are removed (Envoy's listener removes them first; this holds behind any other proxy too).
    const internal = [this.#config.modelNameHeaderKey, this.#config.backendHeaderKey].filter(
      (name) => headers[name] !== undefined,
    );
    if (internal.length === 0) return { request_headers: EMPTY };
    for (const name of internal) delete headers[name];
    return { request_headers: { response: { header_mutation: { remove_headers: internal } } } };
  }

  /** An unknown path: 404 with a plain-text answer naming it (no client API is known to shape it). */
  #unknownPath(path: string): ProcessingResponse {
    this.#phase = 'done';
    this.#status = 404;
    const message = `unsupported path: ${path}`;
    return {
      immediate_response: {
        status: { code: 404 },
        headers: { set_headers: setHeaders({ 'content-type': 'text/plain; charset=utf-8' }) },
        body: Buffer.from(`${message}\n`),
        details: message,
      },
    };
  }

  #models(flavour: 'openai' | 'anthropic'): ProcessingResponse {
    this.#phase = 'done';
    this.#status = 200;
    const models = modelsForHost(
      this.#config.models,
      this.#requestHeaders[':authority'] ?? this.#requestHeaders.host,
    );
    const body =
      flavour === 'openai'
        ? {
            object: 'list',
            data: models.map((model) => ({
              id: model.name,
              object: 'model',
              created: model.created,
              owned_by: model.ownedBy,
            })),
          }
        : {
            data: models.map((model) => ({
              id: model.name,
              type: 'model',
              display_name: model.name,
              created_at: new Date(model.created * 1000).toISOString().replace('.000Z', 'Z'),
            })),
            has_more: false,
            ...(models.length > 0 ? { first_id: models[0]!.name, last_id: models.at(-1)!.name } : {}),
          };
    return {
      immediate_response: {
        status: { code: 200 },
        headers: { set_headers: setHeaders({ 'content-type': 'application/json' }) },
        body: Buffer.from(JSON.stringify(body)),
      },
    };
  }

  #tooLarge(): ProcessingResponse {
    return this.#reject(
      413,
      `the request body is larger than ${this.#maxRequestBodyBytes} bytes`,
      'request_too_large',
    );
  }

  #onRequestBody(message: HttpBody, time: number): ProcessingResponse {
    if (this.#phase !== 'request-body') return { request_body: EMPTY };
    const chunk = bodyBytes(message);
    this.#requestBytes += chunk.length;
    // The upstream filter gets the router's wrapped body, a little larger than the client's.
    const limit = this.#maxRequestBodyBytes + (this.#attemptBackend === undefined ? 0 : 65_536);
    if (this.#requestBytes > limit) return this.#tooLarge();
    this.#requestChunks.push(asBuffer(chunk));
    if (message.end_of_stream === false) {
      // The router filter buffers in BUFFERED_PARTIAL mode: Envoy sends a part of the body only when its buffer
      // (the listener's limit, which is ours) filled before the end, so that body is too large.
      if (this.#attemptBackend === undefined && this.#requestBytes >= this.#maxRequestBodyBytes)
        return this.#tooLarge();
      return { request_body: EMPTY };
    }
    const raw =
      this.#requestChunks.length === 1 ? this.#requestChunks[0]! : Buffer.concat(this.#requestChunks);
    this.#requestChunks = [];
    if (this.#attemptBackend !== undefined) return this.#onAttemptBody(raw, time);
    let json: Buffer = raw;
    if (this.#requestGzip) {
      try {
        json = gunzipRequestBody(raw, this.#maxRequestBodyBytes);
      } catch (error) {
        return error instanceof RangeError
          ? this.#tooLarge()
          : this.#reject(400, 'the request body is not valid gzip (content-encoding: gzip)');
      }
    }
    const body = parseJsonObject(json);
    if (body === undefined) return this.#reject(400, 'the request body is not a valid JSON object');
    const model = body.model;
    if (model === undefined || model === null || model === '')
      return this.#reject(400, "the request body has no 'model'", 'missing_model');
    if (typeof model !== 'string')
      return this.#reject(
        400,
        `'model' must be a string naming the model, not ${Array.isArray(model) ? 'an array' : `a ${typeof model}`}`,
        'invalid_model',
      );
    this.#model = model;
    const rule = this.#config.rules.find((candidate) => candidate.models.includes(model));
    if (rule === undefined)
      return this.#reject(404, `the model '${model}' does not exist`, 'model_not_found');
    this.#rule = rule;
    if (rule.fallback) return this.#handOff(json, body, model, rule, time);
    const backend = this.#config.backends.get(pickBackend(rule, this.#requestId))!;
    this.#backend = backend;
    const translation = this.#translate(backend, body, model, rule, time, undefined);
    if (!translation.ok) return translation.reply;
    translation.set[this.#config.backendHeaderKey] = backend.name;
    this.#phase = 'response-headers';
    return {
      request_body: {
        response: {
          header_mutation: { set_headers: setHeaders(translation.set), remove_headers: translation.remove },
          body_mutation: { body: translation.body },
          clear_route_cache: true,
        },
      },
    };
  }

  /**
   * A fallback rule: name the model (the route to the rule's cluster matches it) and leave the backend to Envoy;
   * the body goes on wrapped with what each attempt starts from (see fallback-handoff.ts).
   */
  #handOff(
    raw: Buffer,
    body: Record<string, unknown>,
    model: string,
    rule: RoutingRule,
    time: number,
  ): ProcessingResponse {
    const keys = new Set(ATTEMPT_HEADERS);
    for (const target of rule.backends) {
      const backend = this.#config.backends.get(target.name);
      for (const header of backend?.headerMutation?.set ?? []) keys.add(header.name);
      for (const header of backend?.headerMutation?.remove ?? []) keys.add(header);
      for (const header of overrideHeaderNames(backend?.auth)) keys.add(header);
    }
    const headers: Record<string, string | null> = {};
    for (const key of keys) headers[key] = this.#requestHeaders[key] ?? null;
    const handoff: Handoff = { path: this.#requestHeaders[':path'] ?? '', model, headers };
    const wrapped = wrapBody(raw, handoff);
    this.#handoff = { body, time };
    this.#phase = 'response-headers';
    return {
      request_body: {
        response: {
          header_mutation: {
            set_headers: setHeaders({
              [this.#config.modelNameHeaderKey]: model,
              'content-length': String(wrapped.length),
            }),
            remove_headers: [
              this.#config.backendHeaderKey,
              ...(this.#requestGzip ? ['content-encoding'] : []),
            ],
          },
          body_mutation: { body: wrapped },
          clear_route_cache: true,
        },
      },
    };
  }

  /** The upstream filter: one attempt of a fallback rule, for the backend Envoy picked. */
  #onAttemptBody(raw: Buffer, time: number): ProcessingResponse {
    const parsed = parseJsonObject(raw);
    const unwrapped = parsed === undefined ? undefined : unwrapBody(parsed);
    if (unwrapped === undefined) {
      return this.#reject(
        500,
        'the upstream filter got a body the router filter did not prepare; check the Envoy configuration',
      );
    }
    const { handoff, body } = unwrapped;
    this.#api = StreamProcessor.apiForPath(handoff.path);
    this.#model = handoff.model;
    const backend = this.#config.backends.get(this.#attemptBackend!);
    if (this.#api === undefined || backend === undefined) {
      return this.#reject(
        500,
        `the upstream filter cannot serve backend '${this.#attemptBackend}' for ${handoff.path}`,
      );
    }
    this.#backend = backend;
    const rule = this.#config.rules.find((candidate) => candidate.models.includes(handoff.model));
    const translation = this.#translate(backend, body, handoff.model, rule, time, handoff.headers);
    if (!translation.ok) return translation.reply;
    this.#phase = 'done';
    return {
      request_body: {
        response: {
          header_mutation: { set_headers: setHeaders(translation.set), remove_headers: translation.remove },
          body_mutation: { body: translation.body },
        },
      },
    };
  }

  /** The context a translator works with, for `backend` and the client's body. */
  #contextFor(
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
      requestId: this.#requestId,
      // Costs need usage at the end of a stream: every translated stream then ends with a usage chunk.
      includeUsage: streamOptions?.include_usage === true || (rule?.hasCosts ?? false),
      headers: this.#requestHeaders,
      ...(typeof body.encoding_format === 'string' ? { encodingFormat: body.encoding_format } : {}),
    };
  }

  /**
   * The request for `backend`: translated body, path and auth, the backend's mutations; for an attempt of a
   * fallback rule also every header an earlier attempt changed put back as the client sent it.
   */
  #translate(
    backend: Backend,
    body: Record<string, unknown>,
    model: string,
    rule: RoutingRule | undefined,
    time: number,
    original: Handoff['headers'] | undefined,
  ): Translation {
    const api = this.#api!;
    const translator = selectTranslator(api, backend);
    if (translator === undefined) {
      return {
        ok: false,
        reply: this.#reject(
          422,
          `backend '${backend.name}' (${backend.schema}) does not serve this API`,
          'unsupported_api',
        ),
      };
    }
    this.#translator = translator;
    const context = this.#contextFor(backend, body, model, rule, time);
    this.#context = context;
    // OpenAI upstreams report a stream's tokens only in the usage chunk they send when asked.
    if (context.stream && rule?.hasCosts && (api === 'openai.chat' || api === 'openai.completions')) {
      const options = body.stream_options as { include_usage?: boolean } | undefined;
      if (options?.include_usage !== true)
        body = { ...body, stream_options: { ...options, include_usage: true } };
    }
    let upstream: ReturnType<Translator['request']>;
    try {
      upstream = translator.request(body, context);
      if (backend.bodyMutation !== undefined)
        upstream = { ...upstream, body: mutateBody(upstream.body, backend.bodyMutation) };
    } catch (error) {
      if (error instanceof TranslationError)
        return { ok: false, reply: this.#reject(422, error.message, 'translation_failed') };
      throw error;
    }
    const upstreamBody = Buffer.from(upstream.body); // encoded once: its length is the content-length
    const set: Record<string, string> = {
      [this.#config.modelNameHeaderKey]: model,
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
    if (this.#requestGzip) remove.add('content-encoding');
    if (backend.auth !== undefined) {
      try {
        Object.assign(set, this.#auth(backend, upstream.path, upstream.body, set, time));
      } catch (error) {
        if (error instanceof MissingCredentialError)
          return { ok: false, reply: this.#reject(401, error.message, 'missing_upstream_credential') };
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
    return { ok: true, set, remove: [...remove], body: upstreamBody };
  }

  #auth(
    backend: Backend,
    path: string,
    body: string,
    set: Record<string, string>,
    time: number,
  ): Record<string, string> {
    const signed: Record<string, string> = {};
    if (set['content-type'] !== undefined) signed['content-type'] = set['content-type'];
    const host = set[':authority'] ?? this.#requestHeaders[':authority'] ?? this.#requestHeaders.host ?? '';
    return authHeaders(
      backend.auth,
      { method: 'POST', host, path, headers: signed, body, time },
      this.#credentialSources,
    );
  }

  /** A fallback rule's response: the backend that answered is named by the route's response header. */
  #answeringBackend(headers: Record<string, string>, mutation: HeaderMutation): void {
    const handoff = this.#handoff;
    if (handoff === undefined) return;
    const name = headers[this.#config.backendHeaderKey];
    mutation.remove_headers!.push(this.#config.backendHeaderKey);
    const backend = name === undefined ? undefined : this.#config.backends.get(name);
    if (backend === undefined) return;
    this.#backend = backend;
    this.#translator = selectTranslator(this.#api!, backend);
    this.#context = this.#contextFor(backend, handoff.body, this.#model!, this.#rule, handoff.time);
  }

  #onResponseHeaders(message: HttpHeaders): ProcessingResponse {
    if (this.#phase !== 'response-headers') return { response_headers: EMPTY };
    const headers = headerRecord(message);
    this.#responseHeaders = headers;
    this.#status = Number(headers[':status'] ?? '200');
    this.#gzip = isGzip(headers['content-encoding']);
    const mutation: HeaderMutation = { remove_headers: [], set_headers: [] };
    this.#answeringBackend(headers, mutation);
    const translator = this.#translator;
    const failed = this.#status >= 400;
    if (translator === undefined) {
      // Envoy answered itself (no healthy backend left, a timeout): the body is Envoy's text.
      if (!failed || message.end_of_stream === true) {
        this.#phase = 'done';
        return { response_headers: { response: { header_mutation: mutation } } };
      }
    }
    this.#streamed = !failed && this.#context!.stream;
    const rewritten = failed || translator!.rewritesResponse;
    // A gzip stream is inflated chunk by chunk even when passed through, so it leaves uncompressed.
    if (rewritten || (this.#streamed && this.#gzip)) {
      mutation.remove_headers!.push('content-length');
      if (this.#gzip) mutation.remove_headers!.push('content-encoding');
    }
    if (rewritten) {
      mutation.set_headers = setHeaders({
        'content-type': this.#streamed
          ? (translator!.streamContentType ?? 'text/event-stream')
          : 'application/json',
      });
    }
    if (message.end_of_stream === true) {
      this.#phase = 'done';
      return { response_headers: { response: { header_mutation: mutation } } };
    }
    this.#phase = 'response-body';
    if (this.#streamed) {
      this.#streamTranslator = translator!.stream(this.#context!);
      if (this.#gzip) this.#gzipStream = new GzipStream();
      return {
        response_headers: { response: { header_mutation: mutation } },
        mode_override: { response_body_mode: 1 },
      };
    }
    return { response_headers: { response: { header_mutation: mutation } } };
  }

  /** An upstream error in the client's shape: the translator's reading, or Envoy's own text as the message. */
  #errorBody(status: number, body: Buffer): string {
    const translator = this.#translator;
    if (translator !== undefined) return translator.error(status, body, this.#responseHeaders);
    return clientErrorBody(
      this.#api ?? 'openai.chat',
      status,
      body.toString('utf8').trim() || `upstream status ${status}`,
    );
  }

  #onResponseBody(message: HttpBody): ProcessingResponse {
    if (this.#phase !== 'response-body') return { response_body: EMPTY };
    const chunk = bodyBytes(message);
    const last = message.end_of_stream !== false;
    if (this.#streamed) return this.#onStreamChunk(chunk, last);
    this.#responseChunks.push(asBuffer(chunk));
    if (!last) return { response_body: EMPTY };
    this.#phase = 'done';
    let body: Buffer =
      this.#responseChunks.length === 1 ? this.#responseChunks[0]! : Buffer.concat(this.#responseChunks);
    this.#responseChunks = [];
    if (this.#gzip) {
      try {
        body = gunzipBody(body);
      } catch {
        return this.#replaceBody(this.#errorBody(502, Buffer.from('the upstream sent a corrupt gzip body')));
      }
    }
    if (this.#status! >= 400) return this.#replaceBody(this.#errorBody(this.#status!, body));
    const translator = this.#translator!;
    let translated: ReturnType<Translator['response']>;
    try {
      translated = translator.response(body, this.#context!);
    } catch (error) {
      if (!(error instanceof TranslationError)) throw error;
      return this.#replaceBody(translator.error(502, Buffer.from(error.message), {}));
    }
    this.#usage = translated.usage;
    const response: ProcessingResponse = translator.rewritesResponse
      ? { response_body: { response: { body_mutation: { body: Buffer.from(translated.body) } } } }
      : { response_body: EMPTY };
    return this.#withCosts(response);
  }

  #onStreamChunk(chunk: Uint8Array, last: boolean): ProcessingResponse {
    const translator = this.#streamTranslator!;
    const plain = this.#gzipStream === undefined ? chunk : this.#gzipStream.push(chunk);
    let out = translator.push(plain);
    if (last) {
      out += translator.end();
      this.#phase = 'done';
      this.#usage = translator.usage();
    }
    const response: ProcessingResponse =
      this.#translator!.rewritesResponse || this.#gzipStream !== undefined
        ? { response_body: { response: { body_mutation: { body: Buffer.from(out) } } } }
        : { response_body: EMPTY };
    return last ? this.#withCosts(response) : response;
  }

  #replaceBody(body: string): ProcessingResponse {
    return { response_body: { response: { body_mutation: { body: Buffer.from(body) } } } };
  }

  #withCosts(response: ProcessingResponse): ProcessingResponse {
    const rule = this.#rule;
    if (rule === undefined || !rule.hasCosts || this.#usage === undefined) return response;
    let costs: Record<string, number>;
    try {
      costs = rule.costs({ usage: this.#usage, model: this.#model!, backend: this.#backend!.name });
    } catch (error) {
      // A CEL cost that fails at run time (e.g. a negative result) must not fail the client's request.
      this.#costError = (error as Error).message;
      return response;
    }
    return { ...response, dynamic_metadata: metadataStruct(this.#config.metadataNamespace, costs) };
  }
}

const NO_BYTES = Buffer.alloc(0);

/** protobufjs decodes an empty `bytes` field as an empty plain array, not a Uint8Array. */
function bodyBytes(message: HttpBody): Uint8Array {
  const body = message.body;
  return body instanceof Uint8Array ? body : NO_BYTES;
}

/** The backend Envoy picked for this attempt, when the stream is the upstream filter's. */
function attemptBackend(request: ProcessingRequest): string | undefined {
  const value = request.attributes?.[EXT_PROC_ATTRIBUTES_KEY]?.fields?.[BACKEND_ATTRIBUTE];
  const name = protoValue(value);
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * The request body limit of the listener the request came in on, when Envoy names one: decimal digits (a string,
 * as Envoy prints a number attribute in six significant digits).
 */
function listenerBodyLimit(request: ProcessingRequest): number | undefined {
  const value = protoValue(request.attributes?.[EXT_PROC_ATTRIBUTES_KEY]?.fields?.[BODY_LIMIT_ATTRIBUTE]);
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,15}$/.test(value)) return undefined;
  const limit = Number(value);
  return Number.isSafeInteger(limit) ? limit : undefined;
}

/** Dynamic metadata Envoy forwarded, as plain values per namespace. */
function forwardedMetadata(request: ProcessingRequest): CredentialSources['metadata'] {
  const namespaces = request.metadata_context?.filter_metadata;
  if (namespaces === undefined || namespaces === null) return {};
  const out: Record<string, Record<string, unknown>> = {};
  for (const [namespace, struct] of Object.entries(namespaces)) {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(struct.fields ?? {})) fields[key] = protoValue(value);
    out[namespace] = fields;
  }
  return out;
}

/** A hostname pattern matches the host exactly, or `*.suffix` matches one more label. */
function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  const suffix = pattern.slice(1);
  return host.endsWith(suffix) && !host.slice(0, -suffix.length).includes('.') && host.length > suffix.length;
}

/** The models the routes of this host serve (and those of routes without hostnames); every model if none match. */
export function modelsForHost(
  models: readonly ModelInfo[],
  authority: string | undefined,
): readonly ModelInfo[] {
  if (authority === undefined || models.every((model) => model.hostnames === undefined)) return models;
  const host = authority
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  const matching = models.filter((model) => model.hostnames?.some((pattern) => hostMatches(pattern, host)));
  if (matching.length === 0) return models;
  return models.filter((model) => model.hostnames === undefined || matching.includes(model));
}

/** Weighted choice, deterministic per request id (Envoy's x-request-id is random, so load spreads). */
export function pickBackend(rule: RoutingRule, requestId: string): string {
  if (rule.backends.length === 1) return rule.backends[0]!.name;
  const total = rule.backends.reduce((sum, backend) => sum + backend.weight, 0);
  let hash = 2166136261;
  for (let i = 0; i < requestId.length; i++) hash = Math.imul(hash ^ requestId.charCodeAt(i), 16777619) >>> 0;
  let point = total === 0 ? 0 : hash % total;
  for (const backend of rule.backends) {
    if (point < backend.weight) return backend.name;
    point -= backend.weight;
  }
  return rule.backends[0]!.name;
}

/** Why a request body cannot be read as JSON, judged from its headers; undefined when it can. */
function unreadableBody(headers: Readonly<Record<string, string>>): string | undefined {
  const type = headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== undefined && type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
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
