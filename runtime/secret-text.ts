// Secrets by the shape of their value, for text the logger writes whatever field (or message) it sits in: a field
// name says nothing when the secret is inside a message, an error's text or a URL. One pass of one regular
// expression over each string; a string without a match is returned as it was.

export const REDACTED = '[REDACTED]';

/**
 * Each shape keeps what says what the value was (the header name, the URL's scheme and user, the PEM label) and
 * loses the value. Named groups: `keep` is written back before the mark, `tail` after it.
 */
const ANY_CASE_SHAPES = [
  // A PEM private key block (RSA, EC, ENCRYPTED, OPENSSH, …), or its start when the text is cut before the end.
  String.raw`(?<keep>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)[\s\S]*?(?<tail>-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`,
  // An Authorization or Proxy-Authorization header's value, to the end of the line or quote, whatever its scheme.
  String.raw`(?<keep>\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?)[^\r\n"']+`,
  // A URL's userinfo with a password: scheme://user:password@host.
  String.raw`(?<keep>\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)[^\s/@"']*(?<tail>@)`,
  // AWS secret keys and session tokens where they are named: env files, ini files, JSON, query strings.
  String.raw`(?<keep>\b(?:aws_?secret_?access_?key|secret_?access_?key|aws_?session_?token|session_?token|x-amz-security-token)["']?\s*[:=]\s*["']?)[a-z0-9/+=%]{16,}`,
  // Other secrets written as name=value (a query string, a connection string, a command line).
  String.raw`(?<keep>\b(?:password|passwd|pwd|api[-_]?key|access[-_]?token|refresh[-_]?token|id[-_]?token|client[-_]?secret|secret|token)=)[^&\s"';,]+`,
];

// As written: "basic authentication" in a sentence is not a credential, "Basic dXNlcjpwYXNz" is.
const EXACT_CASE_SHAPES = [
  // A bearer or basic credential wherever it is written ("Bearer eyJ…", "token: Basic dXNlcjpw…").
  String.raw`(?<keep>\b(?:Bearer|Basic) +)[A-Za-z0-9\-._~+/]{8,}=*`,
  // A JSON Web Token on its own (three base64url parts, the first two JSON objects).
  String.raw`\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`,
  // AWS access key ids (long-term AKIA…, temporary ASIA…).
  String.raw`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`,
];

/** One expression per case rule, each group named apart (`keep0`, `tail0`, `keep1`, …). */
function combined(shapes: readonly string[], flags: string): RegExp {
  return new RegExp(
    shapes.map((shape, index) => shape.replace(/\(\?<(keep|tail)>/g, `(?<$1${index}>`)).join('|'),
    flags,
  );
}

const SECRET_TEXT = [combined(ANY_CASE_SHAPES, 'gi'), combined(EXACT_CASE_SHAPES, 'g')];

/**
 * A literal every shape above contains: most log strings have none, and one scan for literals is several times
 * cheaper than the shapes' expressions.
 */
const MAY_HOLD_SECRET =
  /PRIVATE KEY|uthorization|UTHORIZATION|:\/\/|=|Bearer |Basic |eyJ|AKIA|ASIA|ecret|ECRET|oken|OKEN/;

/** `text` with every secret-looking value replaced by `[REDACTED]`; the same string when there is none. */
export function redactText(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  let result = text;
  for (const shapes of SECRET_TEXT) {
    shapes.lastIndex = 0;
    if (!shapes.test(result)) continue;
    result = result.replace(shapes, (...args) => {
      const groups = args.at(-1) as Record<string, string | undefined>;
      return `${firstDefined(groups, 'keep')}${REDACTED}${firstDefined(groups, 'tail')}`;
    });
  }
  return result;
}

function firstDefined(groups: Record<string, string | undefined>, name: string): string {
  for (const [key, value] of Object.entries(groups))
    if (key.startsWith(name) && value !== undefined) return value;
  return '';
}
