// One ext_proc stream's logic, phase by phase: request headers (routing by path, size limit, /v1/models),
// request body (model routing, translation, auth), response headers (mode override, header fixes) and
// response body (translation, usage → dynamic metadata). Pure given its inputs: time comes with each call.
import { authHeaders, type BackendAuth } from './backend-auth.ts';
import { clientErrorBody, parseJsonObject } from './client-errors.ts';
import type { Backend, ExtProcConfig, RoutingRule } from './config.ts';
import { GzipStream, gunzipBody, isGzip } from './gzip-body.ts';
import {
  type HeaderMutation,
  type HttpBody,
  type HttpHeaders,
  headerRecord,
  metadataStruct,
  type ProcessingRequest,
  type ProcessingResponse,
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
  '/v1/messages': 'anthropic.messages',
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

export class StreamProcessor {
  readonly #config: ExtProcConfig;
  readonly #fallbackId: string;
  #phase: Phase = 'request-headers';
  #api: ClientApi | undefined;
  #requestHeaders: Record<string, string> = {};
  #requestId = '';
  #requestChunks: Buffer[] = [];
  #requestBytes = 0;
  #rule: RoutingRule | undefined;
  #backend: Backend | undefined;
  #translator: Translator | undefined;
  #context: TranslationContext | undefined;
  #model: string | undefined;
  #status: number | undefined;
  #responseHeaders: Record<string, string> = {};
  #responseChunks: Buffer[] = [];
  #streamed = false;
  #gzip = false;
  #gzipStream: GzipStream | undefined;
  #streamTranslator: StreamTranslator | undefined;
  #usage: TokenUsage | undefined;
  #costError: string | undefined;

  constructor(config: ExtProcConfig, fallbackId: string) {
    this.#config = config;
    this.#fallbackId = fallbackId;
  }

  get outcome(): StreamOutcome {
    return {
      api: this.#api,
      model: this.#model,
      backend: this.#backend?.name,
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
    if (request.request_headers) return this.#onRequestHeaders(request.request_headers);
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

  #onRequestHeaders(message: HttpHeaders): ProcessingResponse {
    const headers = headerRecord(message);
    this.#requestHeaders = headers;
    this.#requestId = headers['x-request-id'] || this.#fallbackId;
    const path = headers[':path'] ?? '';
    const bare = path.split('?', 1)[0];
    const method = headers[':method'] ?? 'GET';
    if (bare === '/v1/models' && method === 'GET') return this.#models();
    this.#api = StreamProcessor.apiForPath(path);
    if (this.#api === undefined) return this.#reject(404, `no AI API is served at ${bare}`, 'unknown_path');
    if (method !== 'POST') return this.#reject(405, `${bare} accepts POST only`);
    const length = Number(headers['content-length'] ?? '0');
    if (length > this.#config.maxRequestBodyBytes) return this.#tooLarge();
    if (message.end_of_stream === true) return this.#reject(400, 'the request has no body; send a JSON body');
    this.#phase = 'request-body';
    return { request_headers: EMPTY };
  }

  #models(): ProcessingResponse {
    this.#phase = 'done';
    this.#status = 200;
    const data = this.#config.models.map((model) => ({
      id: model.name,
      object: 'model',
      created: model.created,
      owned_by: model.ownedBy,
    }));
    return {
      immediate_response: {
        status: { code: 200 },
        headers: { set_headers: setHeaders({ 'content-type': 'application/json' }) },
        body: Buffer.from(JSON.stringify({ object: 'list', data })),
      },
    };
  }

  #tooLarge(): ProcessingResponse {
    return this.#reject(
      413,
      `the request body is larger than ${this.#config.maxRequestBodyBytes} bytes`,
      'request_too_large',
    );
  }

  #onRequestBody(message: HttpBody, time: number): ProcessingResponse {
    if (this.#phase !== 'request-body') return { request_body: EMPTY };
    const chunk = bodyBytes(message);
    this.#requestBytes += chunk.length;
    if (this.#requestBytes > this.#config.maxRequestBodyBytes) return this.#tooLarge();
    this.#requestChunks.push(asBuffer(chunk));
    if (message.end_of_stream === false) return { request_body: EMPTY };
    const raw =
      this.#requestChunks.length === 1 ? this.#requestChunks[0]! : Buffer.concat(this.#requestChunks);
    this.#requestChunks = [];
    const body = parseJsonObject(raw);
    if (body === undefined) return this.#reject(400, 'the request body is not a valid JSON object');
    const model = body.model;
    if (typeof model !== 'string' || model === '')
      return this.#reject(400, "the request body has no 'model'", 'missing_model');
    this.#model = model;
    const rule = this.#config.rules.find((candidate) => candidate.models.includes(model));
    if (rule === undefined)
      return this.#reject(404, `the model '${model}' does not exist`, 'model_not_found');
    this.#rule = rule;
    const backend = this.#config.backends.get(pickBackend(rule, this.#requestId))!;
    this.#backend = backend;
    const api = this.#api!;
    const translator = selectTranslator(api, backend);
    if (translator === undefined) {
      return this.#reject(
        422,
        `backend '${backend.name}' (${backend.schema}) does not serve this API`,
        'unsupported_api',
      );
    }
    this.#translator = translator;
    const stream = body.stream === true;
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    const includeUsage = streamOptions?.include_usage === true;
    // Costs need usage at the end of a stream; OpenAI upstreams send it only when asked.
    if (stream && rule.hasCosts && (api === 'openai.chat' || api === 'openai.completions') && !includeUsage) {
      body.stream_options = { ...streamOptions, include_usage: true };
    }
    this.#context = {
      model: backend.modelNameOverride ?? model,
      requestModel: model,
      stream,
      created: Math.floor(time / 1000),
      requestId: this.#requestId,
      includeUsage,
    };
    let upstream: ReturnType<Translator['request']>;
    try {
      upstream = translator.request(body, this.#context);
    } catch (error) {
      if (error instanceof TranslationError) return this.#reject(422, error.message, 'translation_failed');
      throw error;
    }
    const upstreamBody = Buffer.from(upstream.body); // encoded once: its length is the content-length
    const set: Record<string, string> = {
      [this.#config.modelNameHeaderKey]: model,
      [this.#config.backendHeaderKey]: backend.name,
      ':path': upstream.path,
      'content-length': String(upstreamBody.length),
      ...upstream.headers,
    };
    const remove: string[] = [];
    if (stream) remove.push('accept-encoding'); // streamed bodies are translated as they come, uncompressed
    if (backend.host !== undefined) set[':authority'] = backend.host;
    if (backend.auth !== undefined) {
      Object.assign(set, this.#auth(backend.auth, upstream.path, upstream.body, set, time));
      for (const name of CLIENT_CREDENTIAL_HEADERS) if (!(name in set)) remove.push(name);
    }
    this.#phase = 'response-headers';
    return {
      request_body: {
        response: {
          header_mutation: { set_headers: setHeaders(set), remove_headers: remove },
          body_mutation: { body: upstreamBody },
          clear_route_cache: true,
        },
      },
    };
  }

  #auth(
    auth: BackendAuth,
    path: string,
    body: string,
    set: Record<string, string>,
    time: number,
  ): Record<string, string> {
    const signed: Record<string, string> = {};
    if (set['content-type'] !== undefined) signed['content-type'] = set['content-type'];
    const host = set[':authority'] ?? this.#requestHeaders[':authority'] ?? this.#requestHeaders.host ?? '';
    return authHeaders(auth, { method: 'POST', host, path, headers: signed, body, time });
  }

  #onResponseHeaders(message: HttpHeaders): ProcessingResponse {
    if (this.#phase !== 'response-headers') return { response_headers: EMPTY };
    const headers = headerRecord(message);
    this.#responseHeaders = headers;
    this.#status = Number(headers[':status'] ?? '200');
    this.#gzip = isGzip(headers['content-encoding']);
    const translator = this.#translator!;
    const failed = this.#status >= 400;
    this.#streamed = !failed && this.#context!.stream;
    const mutation: HeaderMutation = { remove_headers: [], set_headers: [] };
    const rewritten = failed || translator.rewritesResponse;
    // A gzip stream is inflated chunk by chunk even when passed through, so it leaves uncompressed.
    if (rewritten || (this.#streamed && this.#gzip)) {
      mutation.remove_headers!.push('content-length');
      if (this.#gzip) mutation.remove_headers!.push('content-encoding');
    }
    if (rewritten) {
      mutation.set_headers = setHeaders({
        'content-type': this.#streamed ? 'text/event-stream' : 'application/json',
      });
    }
    if (message.end_of_stream === true) {
      this.#phase = 'done';
      return { response_headers: { response: { header_mutation: mutation } } };
    }
    this.#phase = 'response-body';
    if (this.#streamed) {
      this.#streamTranslator = translator.stream(this.#context!);
      if (this.#gzip) this.#gzipStream = new GzipStream();
      return {
        response_headers: { response: { header_mutation: mutation } },
        mode_override: { response_body_mode: 1 },
      };
    }
    return { response_headers: { response: { header_mutation: mutation } } };
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
    const translator = this.#translator!;
    if (this.#gzip) {
      try {
        body = gunzipBody(body);
      } catch {
        return this.#replaceBody(
          translator.error(502, Buffer.from('the upstream sent a corrupt gzip body'), {}),
        );
      }
    }
    if (this.#status! >= 400)
      return this.#replaceBody(translator.error(this.#status!, body, this.#responseHeaders));
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
