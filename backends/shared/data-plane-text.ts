// A data plane's own words about what it refused, fit for a status, a log line and the inspector. Envoy quotes the
// configuration it refused: a failed constraint prints the whole message in protobuf's text format (the filter's
// htpasswd users, an inline key, a credential) before its reason, and a status is read by anyone who may read the
// route. What is shown keeps Envoy's reason and leaves out the quoted configuration; a secret value of the pushed
// resources, or a private key, left anywhere else in the text is replaced by the marker.
import { REDACTED, REDACTED_KEY } from '../../model/shared/secret-fields.ts';

/**
 * Protobuf's DebugString (C++ protobuf ≥ 26) starts with a marker that changes from run to run (`goo.gle/debugstr`,
 * `…/debugonly`, `…/debugproto`); Envoy puts the message after it and then `: ` and its reason.
 */
const QUOTED_MESSAGE = /goo\.gle\/debug[a-z]*\s[\s\S]*?(?:\n: |$)/g;
const PRIVATE_KEY_BLOCK =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
/** A longer text is cut (a status condition's message holds at most 32768 bytes). */
export const MAX_DATA_PLANE_TEXT = 4096;

/** `text` from a data plane without the configuration it quotes, nor any of `secretValues`. */
export function shownDataPlaneText(text: string, secretValues: Iterable<string> = []): string {
  let shown = text
    .replace(QUOTED_MESSAGE, (quoted) => (quoted.endsWith('\n: ') ? '' : '(configuration not shown)'))
    .replace(PRIVATE_KEY_BLOCK, REDACTED_KEY);
  // Longest first, so a value that holds a shorter one is replaced whole; also as protobuf and JSON escape it.
  for (const secret of [...secretValues].sort((a, b) => b.length - a.length)) {
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)]))
      shown = shown.replaceAll(form, REDACTED);
  }
  return shown.length > MAX_DATA_PLANE_TEXT
    ? `${shown.slice(0, MAX_DATA_PLANE_TEXT)}… (${shown.length - MAX_DATA_PLANE_TEXT} more characters)`
    : shown;
}
