// How one endpoint's names say which backend they belong to (the convention of Envoy AI Gateway's MCP proxy):
// tools and prompts are `<backend>__<name>`, resource URIs and URI templates `<backend>+<uri>`. Backend names
// contain neither `__` nor `+` (config.ts), so the first separator splits a name one way only.

const NAME_SEPARATOR = '__';
const URI_SEPARATOR = '+';

export interface Owned {
  readonly backend: string;
  readonly name: string;
}

export function prefixName(backend: string, name: string): string {
  return `${backend}${NAME_SEPARATOR}${name}`;
}

/** The backend and its own name, or undefined when the name carries no backend prefix. */
export function splitName(prefixed: string): Owned | undefined {
  const at = prefixed.indexOf(NAME_SEPARATOR);
  if (at <= 0) return undefined;
  return { backend: prefixed.slice(0, at), name: prefixed.slice(at + NAME_SEPARATOR.length) };
}

export function prefixUri(backend: string, uri: string): string {
  return `${backend}${URI_SEPARATOR}${uri}`;
}

export function splitUri(prefixed: string): Owned | undefined {
  const at = prefixed.indexOf(URI_SEPARATOR);
  if (at <= 0) return undefined;
  return { backend: prefixed.slice(0, at), name: prefixed.slice(at + URI_SEPARATOR.length) };
}
