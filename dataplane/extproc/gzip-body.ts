// Upstream bodies compressed with gzip: whole bodies are inflated at once; streamed bodies are inflated
// as they arrive (each call re-inflates what came so far with a sync flush and returns the new part).
import { constants, gunzipSync } from 'node:zlib';

export function isGzip(contentEncoding: string | undefined): boolean {
  return contentEncoding !== undefined && /\bgzip\b/i.test(contentEncoding);
}

export function gunzipBody(body: Uint8Array): Buffer {
  return gunzipSync(body);
}

/**
 * A client's gzip-compressed request body, inflated to at most `maxBytes` (a few KiB of gzip can inflate to
 * GiBs): a RangeError when it inflates beyond, another error when it is not gzip.
 */
export function gunzipRequestBody(body: Uint8Array, maxBytes: number): Buffer {
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new RangeError('too large');
    throw error;
  }
}

/** Incremental gunzip for streamed responses; upstreams are asked not to compress streams, so this is rare. */
export class GzipStream {
  #compressed: Buffer = Buffer.alloc(0);
  #emitted = 0;

  push(chunk: Uint8Array): Buffer {
    this.#compressed = Buffer.concat([this.#compressed, chunk]);
    let inflated: Buffer;
    try {
      inflated = gunzipSync(this.#compressed, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return Buffer.alloc(0); // the gzip header itself is not complete yet
    }
    const fresh = inflated.subarray(this.#emitted);
    this.#emitted = inflated.length;
    return fresh;
  }
}
