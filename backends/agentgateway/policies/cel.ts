// CEL text for agentgateway's expression-valued fields (authorization rules, header values, rate limit
// descriptors). agentgateway evaluates a rule to false when its expression fails (a header or claim absent):
// every expression here is written so that such a failure can only refuse, never admit.

/** A CEL string literal (JSON's escapes are CEL's). */
export function celString(value: string): string {
  return JSON.stringify(value);
}

export function celList(values: readonly string[]): string {
  return `[${values.map(celString).join(', ')}]`;
}

/** A regular expression matching the whole text (CEL's `matches` finds a match anywhere). */
export function whole(regex: string): string {
  return `^(?:${regex})$`;
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The request header's value (several values joined by commas), guarded: false when the header is absent. */
export function headerIn(name: string, values: readonly string[]): string {
  const key = celString(name.toLowerCase());
  return `request.headers.join().exists(k, k == ${key} && request.headers.join()[k] in ${celList(values)})`;
}

/** A JWT claim by its dotted path (`jwt.a.b`); names that are not CEL identifiers are indexed. */
export function claimPath(name: string): string {
  return name
    .split('.')
    .reduce(
      (path, part) =>
        /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? `${path}.${part}` : `${path}[${celString(part)}]`,
      'jwt',
    );
}

export function anyOf(parts: readonly string[]): string {
  if (parts.length === 0) return 'false';
  return parts.length === 1 ? parts[0]! : `(${parts.join(' || ')})`;
}

export function allOf(parts: readonly string[]): string {
  if (parts.length === 0) return 'true';
  return parts.length === 1 ? parts[0]! : `(${parts.join(' && ')})`;
}
