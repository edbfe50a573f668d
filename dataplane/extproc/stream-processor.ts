// One ext_proc stream's logic, phase by phase: request headers (routing by path, size limit, model lists),
// request body (model routing, translation, auth, mutations), response headers (mode override, header fixes)
// and response body (translation, usage → dynamic metadata). The same processor serves the router filter and,
// for fallback rules, the upstream filter that translates each attempt (see fallback-handoff.ts). Pure given its
// inputs: time comes with each call.
import type { CredentialSources } from './backend-auth.ts';
import { answersWithMedia, apiForPath, sendsForm, unreadableBody } from './client-apis.ts';
import { readClientBody } from './client-body.ts';
import type { Backend, ExtProcConfig, RoutingRule } from './config.ts';
import { type Handoff, originalHeaders, unwrapAttempt, wrapBody, wrapForm } from './fallback-handoff.ts';
import { isGzip } from './gzip-body.ts';
import { clientErrorResponse, unknownPathResponse } from './immediate-replies.ts';
import { modelListResponse } from './model-lists.ts';
import type { MultipartForm } from './multipart-form.ts';
import { pickBackend } from './pick-backend.ts';
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
import { attemptBackend, bodyBytes, forwardedMetadata, listenerBodyLimit } from './request-attributes.ts';
import { ResponseBody } from './response-body.ts';
import { rewriteResponseHeaders } from './response-headers.ts';
import { selectTranslator } from './select-translator.ts';
import type { TokenUsage } from './token-usage.ts';
import type { ClientApi, TranslationContext, Translator } from './translator.ts';
import {
  type ClientRequest,
  translationContext,
  type UpstreamTranslation,
  upstreamRequest,
} from './upstream-request.ts';
import { asBuffer } from './utf8.ts';

const EMPTY: { response: Record<string, never> } = { response: {} };

/** A translated request, or the immediate error reply that replaces it. */
type Translation =
  | Extract<UpstreamTranslation, { ok: true }>
  | { readonly ok: false; readonly reply: ProcessingResponse };

/**
 * For media responses, set at request headers: the request body BUFFERED (as configured: an override replaces
 * both modes, and BUFFERED is the one mode in which the service may set the translated body's content-length), the
 * response body not sent (NONE).
 */
const MEDIA_MODES = { request_body_mode: 2, response_body_mode: 0 } as const;

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
  #responseBody: ResponseBody | undefined;
  /** The client's body is gzip-compressed (content-encoding: gzip): inflated before it is read. */
  #requestGzip = false;
  #usage: TokenUsage | undefined;
  /** The client's multipart form (uploads). */
  #form: MultipartForm | undefined;
  /** The reply to the request headers set the response body mode to NONE (media responses). */
  #responseBodyOff = false;
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

  #reject(status: number, message: string, code?: string): ProcessingResponse {
    this.#phase = 'done';
    this.#status = status;
    return clientErrorResponse(this.#api, status, message, code);
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
    this.#api = apiForPath(path);
    if (this.#api === undefined) return this.#unknownPath(bare);
    if (method !== 'POST') return this.#reject(405, `${bare} accepts POST only`);
    const length = Number(headers['content-length'] ?? '0');
    if (length > this.#maxRequestBodyBytes) return this.#tooLarge();
    const unreadable = unreadableBody(headers, this.#api);
    if (unreadable !== undefined) return this.#reject(415, unreadable, 'unsupported_media_type');
    this.#requestGzip = isGzip(headers['content-encoding']);
    if (message.end_of_stream === true) return this.#reject(400, 'the request has no body; send a JSON body');
    this.#phase = 'request-body';
    // The model and backend headers route the request once this service has set them from the body: a client's
    // own are removed (Envoy's listener removes them first; this holds behind any other proxy too).
    const internal = [this.#config.modelNameHeaderKey, this.#config.backendHeaderKey].filter(
      (name) => headers[name] !== undefined,
    );
    for (const name of internal) delete headers[name];
    const reply: ProcessingResponse = {
      request_headers:
        internal.length === 0 ? EMPTY : { response: { header_mutation: { remove_headers: internal } } },
    };
    // Generated audio is neither translated nor read, so Envoy must not buffer it. Turning the body off in the reply
    // to the response headers is too late: while that reply is awaited, Envoy holds the body under the configured
    // mode, and in BUFFERED mode audio larger than the buffer limit ends as a 500 (response_payload_too_large).
    // Only a mode set before the response headers are sent keeps the body flowing (held under a watermark).
    if (answersWithMedia(this.#api)) {
      reply.mode_override = MEDIA_MODES;
      this.#responseBodyOff = true;
    }
    return reply;
  }

  /** An unknown path: 404 with a plain-text answer naming it (no client API is known to shape it). */
  #unknownPath(path: string): ProcessingResponse {
    this.#phase = 'done';
    this.#status = 404;
    return unknownPathResponse(path);
  }

  #models(flavour: 'openai' | 'anthropic'): ProcessingResponse {
    this.#phase = 'done';
    this.#status = 200;
    const authority = this.#requestHeaders[':authority'] ?? this.#requestHeaders.host;
    return modelListResponse(flavour, this.#config.models, authority);
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
      // Under BUFFERED_PARTIAL (an Envoy configured by hand; the Envoy backend sets BUFFERED) Envoy sends a part of
      // the body only when its buffer (the listener's limit, which is ours) filled before the end: too large.
      if (this.#attemptBackend === undefined && this.#requestBytes >= this.#maxRequestBodyBytes)
        return this.#tooLarge();
      return { request_body: EMPTY };
    }
    const raw =
      this.#requestChunks.length === 1 ? this.#requestChunks[0]! : Buffer.concat(this.#requestChunks);
    this.#requestChunks = [];
    if (this.#attemptBackend !== undefined) return this.#onAttemptBody(raw, time);
    const form = sendsForm(this.#api!) ? this.#requestHeaders['content-type'] : undefined;
    const read = readClientBody(raw, this.#requestGzip, this.#maxRequestBodyBytes, form);
    if (!read.ok) return read.tooLarge ? this.#tooLarge() : this.#reject(400, read.message, read.code);
    const { json, body, model } = read;
    this.#form = read.form;
    this.#model = model;
    const rule = this.#config.rules.find((candidate) => candidate.models.includes(model));
    if (rule === undefined)
      return this.#reject(404, `the model '${model}' does not exist`, 'model_not_found');
    this.#rule = rule;
    if (rule.fallback) return this.#handOff(json, body, model, rule, time);
    const picked = pickBackend(rule, this.#requestId);
    // A backendRef the route may not use: its share of the requests is answered 500, as Gateway API answers it.
    if (picked.refused !== undefined) return this.#reject(500, picked.refused, 'backend_not_permitted');
    const backend = this.#config.backends.get(picked.name)!;
    this.#backend = backend;
    const translation = this.#translate(backend, body, model, rule, time, undefined);
    if (!translation.ok) return translation.reply;
    translation.set[this.#config.backendHeaderKey] = backend.name;
    this.#phase = 'response-headers';
    return requestBodyReply(translation.set, translation.remove, translation.body, true);
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
    const backends = rule.backends.map((target) => this.#config.backends.get(target.name));
    const headers = originalHeaders(backends, this.#requestHeaders);
    const handoff: Handoff = { path: this.#requestHeaders[':path'] ?? '', model, headers };
    const wrapped = this.#form === undefined ? wrapBody(raw, handoff) : wrapForm(raw, handoff);
    this.#handoff = { body, time };
    this.#phase = 'response-headers';
    const set = { [this.#config.modelNameHeaderKey]: model, 'content-length': String(wrapped.length) };
    const remove = [this.#config.backendHeaderKey, ...(this.#requestGzip ? ['content-encoding'] : [])];
    return requestBodyReply(set, remove, wrapped, true);
  }

  /** The upstream filter: one attempt of a fallback rule, for the backend Envoy picked. */
  #onAttemptBody(raw: Buffer, time: number): ProcessingResponse {
    const unwrapped = unwrapAttempt(raw);
    if (unwrapped === undefined) {
      return this.#reject(
        500,
        'the upstream filter got a body the router filter did not prepare; check the Envoy configuration',
      );
    }
    const { handoff } = unwrapped;
    let body = unwrapped.body;
    if (unwrapped.form !== undefined) {
      // An upload: the client's form again, read with the client's content-type (its boundary).
      const read = readClientBody(
        unwrapped.form,
        false,
        this.#maxRequestBodyBytes,
        handoff.headers['content-type'] ?? '',
      );
      if (!read.ok) return this.#reject(500, 'the upstream filter got a form the router filter did not read');
      body = read.body;
      this.#form = read.form;
    }
    this.#api = apiForPath(handoff.path);
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
    const translation = this.#translate(backend, body!, handoff.model, rule, time, handoff.headers);
    if (!translation.ok) return translation.reply;
    this.#phase = 'done';
    return requestBodyReply(translation.set, translation.remove, translation.body, false);
  }

  /** What every backend's request is built from. */
  #client(): ClientRequest {
    return {
      api: this.#api!,
      headers: this.#requestHeaders,
      credentialSources: this.#credentialSources,
      requestId: this.#requestId,
      gzip: this.#requestGzip,
      ...(this.#form === undefined ? {} : { form: this.#form }),
    };
  }

  /** The request for `backend` (see upstream-request.ts); a failure is answered in the client's shape. */
  #translate(
    backend: Backend,
    body: Record<string, unknown>,
    model: string,
    rule: RoutingRule | undefined,
    time: number,
    original: Handoff['headers'] | undefined,
  ): Translation {
    const translation = upstreamRequest(
      this.#config,
      this.#client(),
      backend,
      body,
      model,
      rule,
      time,
      original,
    );
    if (!translation.ok)
      return { ok: false, reply: this.#reject(translation.status, translation.message, translation.code) };
    this.#translator = translation.translator;
    this.#context = translation.context;
    return translation;
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
    this.#context = translationContext(
      this.#client(),
      backend,
      handoff.body,
      this.#model!,
      this.#rule,
      handoff.time,
    );
  }

  #onResponseHeaders(message: HttpHeaders): ProcessingResponse {
    const headers = headerRecord(message);
    const status = Number(headers[':status'] ?? '200');
    // Envoy's own 413 while it buffered the body: one without a declared length outgrew the listener's limit.
    if (this.#phase === 'request-body' && status === 413 && this.#attemptBackend === undefined)
      return this.#tooLarge();
    if (this.#phase !== 'response-headers') return { response_headers: EMPTY };
    this.#status = status;
    const gzip = isGzip(headers['content-encoding']);
    const mutation: HeaderMutation = { remove_headers: [], set_headers: [] };
    this.#answeringBackend(headers, mutation);
    const translator = this.#translator;
    const failed = status >= 400;
    if (translator === undefined) {
      // Envoy answered itself (no healthy backend left, a timeout): the body is Envoy's text.
      if (!failed || message.end_of_stream === true) {
        this.#phase = 'done';
        return { response_headers: { response: { header_mutation: mutation } } };
      }
    }
    const eventStream = isEventStream(headers['content-type']);
    if (!failed && translator?.leavesResponseUnread === true && !eventStream) {
      this.#phase = 'done';
      return {
        response_headers: { response: { header_mutation: mutation } },
        mode_override: { response_body_mode: 0 },
      };
    }
    const streamed =
      !failed && (translator!.streamedByContentType === true ? eventStream : this.#context!.stream);
    rewriteResponseHeaders(mutation, {
      rewritten: failed || translator!.rewritesResponse,
      streamed,
      gzip,
      streamContentType: translator?.streamContentType,
    });
    if (message.end_of_stream === true) {
      this.#phase = 'done';
      return { response_headers: { response: { header_mutation: mutation } } };
    }
    this.#phase = 'response-body';
    const context = this.#context;
    this.#responseBody = new ResponseBody({
      api: this.#api,
      translator,
      context,
      status,
      headers,
      gzip,
      streamed,
    });
    if (streamed) {
      return {
        response_headers: { response: { header_mutation: mutation } },
        mode_override: { response_body_mode: 1 },
      };
    }
    // An error after the body was turned off at request headers: read it again, to put it in the client's shape.
    return {
      response_headers: { response: { header_mutation: mutation } },
      ...(this.#responseBodyOff ? { mode_override: { response_body_mode: 2 } } : {}),
    };
  }

  #onResponseBody(message: HttpBody): ProcessingResponse {
    if (this.#phase !== 'response-body') return { response_body: EMPTY };
    const step = this.#responseBody!.push(bodyBytes(message), message.end_of_stream !== false);
    if (!step.ended) return step.response;
    this.#phase = 'done';
    this.#usage = step.usage;
    return this.#withCosts(step.response);
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

/** The request body replaced, with its headers; the route cache cleared when the new headers pick the route. */
function requestBodyReply(
  set: Record<string, string>,
  remove: string[],
  body: Buffer,
  reroute: boolean,
): ProcessingResponse {
  return {
    request_body: {
      response: {
        header_mutation: { set_headers: setHeaders(set), remove_headers: remove },
        body_mutation: { body },
        ...(reroute ? { clear_route_cache: true } : {}),
      },
    },
  };
}

function isEventStream(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() === 'text/event-stream';
}
