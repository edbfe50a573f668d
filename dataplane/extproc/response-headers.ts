// The client's response headers when the body is rewritten (translated, or an error put in the client's shape)
// or inflated: its length and encoding change, and so may its type.
import { type HeaderMutation, setHeaders } from './processing-messages.ts';

export interface ResponseRewrite {
  /** The body is rewritten (translated or an error reshaped), not passed through. */
  readonly rewritten: boolean;
  readonly streamed: boolean;
  /** The upstream's body is gzip-compressed. */
  readonly gzip: boolean;
  /** The content type of a rewritten stream (default text/event-stream). */
  readonly streamContentType: string | undefined;
}

/** Adds to `mutation` what the client's headers need for the body it will get. */
export function rewriteResponseHeaders(mutation: HeaderMutation, rewrite: ResponseRewrite): void {
  // A gzip stream is inflated chunk by chunk even when passed through, so it leaves uncompressed.
  if (rewrite.rewritten || (rewrite.streamed && rewrite.gzip)) {
    mutation.remove_headers!.push('content-length');
    if (rewrite.gzip) mutation.remove_headers!.push('content-encoding');
  }
  if (rewrite.rewritten) {
    mutation.set_headers = setHeaders({
      'content-type': rewrite.streamed
        ? (rewrite.streamContentType ?? 'text/event-stream')
        : 'application/json',
    });
  }
}
