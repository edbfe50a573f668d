// Gateway API route filter parameters resolved into backend-neutral values: the header lists of a header
// modifier, where a redirect points (the spec's scheme and port rules), and the path modifier of a redirect or
// rewrite, and the share of requests a mirror copies. Each backend shapes these into its own route fields or policies.
import type {
  HTTPHeaderFilter,
  HTTPPathModifier,
  HTTPRequestMirrorFilter,
  HTTPRequestRedirectFilter,
} from '../../model/resources/gateway-api.ts';

/** Where a request arrived: the port and scheme of its listener, for redirects that keep them. */
export interface ListenerAddress {
  readonly port: number;
  readonly scheme: 'http' | 'https';
}

export interface Header {
  readonly name: string;
  readonly value: string;
}

/** A header modifier's lists, in the spec's terms. */
export interface HeaderEdits {
  readonly set: readonly Header[];
  readonly add: readonly Header[];
  readonly remove: readonly string[];
}

/** A RequestRedirect resolved against the listener; `port` is absent when the Location leaves it out. */
export interface RedirectTarget {
  readonly scheme?: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly statusCode: number;
}

/** A path modifier: the whole path replaced, or the matched prefix replaced (`replacement` as written). */
export type PathEdit =
  | { readonly type: 'ReplaceFullPath'; readonly path: string }
  | { readonly type: 'ReplacePrefixMatch'; readonly replacement: string };

/**
 * The share of requests a RequestMirror copies, below all of them: its `percent` (not below 0), or its `fraction`
 * (denominator defaulted to 100).
 */
export type MirrorShare =
  | { readonly percent: number }
  | { readonly numerator: number; readonly denominator: number };

const WELL_KNOWN_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

export function headerEdits(modifier: HTTPHeaderFilter | undefined): HeaderEdits {
  const header = (h: { name: string; value: string }): Header => ({
    name: String(h.name),
    value: String(h.value ?? ''),
  });
  return {
    set: (modifier?.set ?? []).map(header),
    add: (modifier?.add ?? []).map(header),
    remove: (modifier?.remove ?? []).filter((name) => typeof name === 'string'),
  };
}

export function redirectTarget(
  redirect: HTTPRequestRedirectFilter,
  listener: ListenerAddress,
): RedirectTarget {
  const scheme = nonEmpty(redirect.scheme);
  const hostname = nonEmpty(redirect.hostname);
  // The spec's port rules: explicit port, else the scheme's well-known port, else the listener's port — left
  // out when it is the well-known port of the scheme the Location will carry.
  const port =
    redirect.port ?? (scheme === undefined ? undefined : WELL_KNOWN_PORTS[scheme]) ?? listener.port;
  return {
    ...(scheme === undefined ? {} : { scheme }),
    ...(hostname === undefined ? {} : { hostname }),
    ...(port !== WELL_KNOWN_PORTS[scheme ?? listener.scheme] ? { port } : {}),
    statusCode: redirect.statusCode ?? 302,
  };
}

export function pathEdit(path: HTTPPathModifier | undefined): PathEdit | undefined {
  if (path?.type === 'ReplaceFullPath') return { type: 'ReplaceFullPath', path: path.replaceFullPath ?? '/' };
  if (path?.type === 'ReplacePrefixMatch') {
    return { type: 'ReplacePrefixMatch', replacement: path.replacePrefixMatch ?? '/' };
  }
  return undefined;
}

/** A string field that counts only when set and not empty (hostnames, schemes). */
export function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** How much a RequestMirror copies; `undefined` means every request (no share given, or one of 100% or more). */
export function mirrorShare(mirror: HTTPRequestMirrorFilter | undefined): MirrorShare | undefined {
  if (mirror === undefined) return undefined;
  if (typeof mirror.percent === 'number') {
    return mirror.percent >= 100 ? undefined : { percent: Math.max(0, mirror.percent) };
  }
  if (mirror.fraction !== undefined && typeof mirror.fraction.numerator === 'number') {
    const numerator = mirror.fraction.numerator;
    const denominator = mirror.fraction.denominator ?? 100;
    if (denominator <= 0 || numerator >= denominator) return undefined;
    return { numerator, denominator };
  }
  return undefined;
}
