// The upstream's response body on its way to the client: a whole body buffered, inflated and translated (or an
// error put in the client's shape), or a stream translated chunk by chunk; the usage read along the way.
import { clientErrorBody } from './client-errors.ts';
import { GzipStream, gunzipBody } from './gzip-body.ts';
import type { ProcessingResponse } from './processing-messages.ts';
import type { TokenUsage } from './token-usage.ts';
import {
  type ClientApi,
  type StreamTranslator,
  type TranslationContext,
  TranslationError,
  type Translator,
} from './translator.ts';
import { asBuffer } from './utf8.ts';

const UNCHANGED: ProcessingResponse = { response_body: { response: {} } };

/** What a body message turned into: the reply, and once the body ended, its usage (undefined for errors). */
export interface BodyStep {
  readonly response: ProcessingResponse;
  readonly ended: boolean;
  readonly usage?: TokenUsage | undefined;
}

export interface ResponseFacts {
  readonly api: ClientApi | undefined;
  /** Undefined when Envoy answered itself (its body is its own text). */
  readonly translator: Translator | undefined;
  readonly context: TranslationContext | undefined;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly gzip: boolean;
  readonly streamed: boolean;
}

export class ResponseBody {
  readonly #facts: ResponseFacts;
  #chunks: Buffer[] = [];
  readonly #stream: StreamTranslator | undefined;
  readonly #gzipStream: GzipStream | undefined;

  constructor(facts: ResponseFacts) {
    this.#facts = facts;
    if (facts.streamed) {
      this.#stream = facts.translator!.stream(facts.context!);
      if (facts.gzip) this.#gzipStream = new GzipStream();
    }
  }

  push(chunk: Uint8Array, last: boolean): BodyStep {
    if (this.#stream !== undefined) return this.#streamChunk(this.#stream, chunk, last);
    this.#chunks.push(asBuffer(chunk));
    if (!last) return { response: UNCHANGED, ended: false };
    let body: Buffer = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [];
    const { translator, status } = this.#facts;
    if (this.#facts.gzip) {
      try {
        body = gunzipBody(body);
      } catch {
        return replaced(this.#errorBody(502, Buffer.from('the upstream sent a corrupt gzip body')));
      }
    }
    if (status >= 400) return replaced(this.#errorBody(status, body));
    let translated: ReturnType<Translator['response']>;
    try {
      translated = translator!.response(body, this.#facts.context!);
    } catch (error) {
      if (!(error instanceof TranslationError)) throw error;
      return replaced(translator!.error(502, Buffer.from(error.message), {}));
    }
    const response = translator!.rewritesResponse ? replaced(translated.body).response : UNCHANGED;
    return { response, ended: true, usage: translated.usage };
  }

  #streamChunk(stream: StreamTranslator, chunk: Uint8Array, last: boolean): BodyStep {
    const plain = this.#gzipStream === undefined ? chunk : this.#gzipStream.push(chunk);
    let out = stream.push(plain);
    if (last) out += stream.end();
    const rewritten = this.#facts.translator!.rewritesResponse || this.#gzipStream !== undefined;
    const response = rewritten ? replaced(out).response : UNCHANGED;
    return last ? { response, ended: true, usage: stream.usage() } : { response, ended: false };
  }

  /** An upstream error in the client's shape: the translator's reading, or Envoy's own text as the message. */
  #errorBody(status: number, body: Buffer): string {
    const { translator, api } = this.#facts;
    if (translator !== undefined) return translator.error(status, body, this.#facts.headers);
    return clientErrorBody(
      api ?? 'openai.chat',
      status,
      body.toString('utf8').trim() || `upstream status ${status}`,
    );
  }
}

function replaced(body: string): BodyStep {
  return {
    response: { response_body: { response: { body_mutation: { body: Buffer.from(body) } } } },
    ended: true,
  };
}
