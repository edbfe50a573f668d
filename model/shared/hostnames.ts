// Hostname matching as the spec defines it: `*.example.com` matches any name with at least one more label
// (`a.example.com`, `a.b.example.com`, and the more specific wildcard `*.a.example.com`), never `example.com`.

export function isWildcardHostname(hostname: string): boolean {
  return hostname.startsWith('*.');
}

/** True when `pattern` (exact or wildcard) covers every name `hostname` (exact or wildcard) can match. */
export function hostnameCovers(pattern: string, hostname: string): boolean {
  const p = pattern.toLowerCase();
  const h = hostname.toLowerCase();
  if (p === h) return true;
  if (!isWildcardHostname(p)) return false;
  const suffix = p.slice(1); // ".example.com"
  return h.endsWith(suffix) && h.length > suffix.length && (!isWildcardHostname(h) || h.length > p.length);
}

/** Whether two hostnames (either may be a wildcard) can match a common name. */
export function hostnamesOverlap(a: string, b: string): boolean {
  return hostnameCovers(a, b) || hostnameCovers(b, a);
}

/**
 * The hostnames a route serves on a listener: `null` when they do not intersect, `[]` when any hostname goes,
 * otherwise the most specific name of each intersecting pair, lower-cased, sorted and unique.
 */
export function intersectHostnames(
  listenerHostname: string | undefined,
  routeHostnames: readonly string[] | undefined,
): string[] | null {
  const listener =
    typeof listenerHostname === 'string' && listenerHostname !== '' ? listenerHostname : undefined;
  const route = (Array.isArray(routeHostnames) ? routeHostnames : []).filter(
    (h): h is string => typeof h === 'string' && h !== '',
  );
  if (route.length === 0) return listener === undefined ? [] : [listener.toLowerCase()];
  if (listener === undefined) return uniqueSorted(route);
  const out: string[] = [];
  for (const hostname of route) {
    if (hostnameCovers(listener, hostname)) out.push(hostname);
    else if (hostnameCovers(hostname, listener)) out.push(listener);
  }
  return out.length === 0 ? null : uniqueSorted(out);
}

/** Higher is more specific: exact names before wildcards, longer suffixes before shorter, empty last. */
export function hostnameSpecificity(hostname: string | undefined): number {
  if (hostname === undefined || hostname === '') return 0;
  const labels = hostname.split('.').length;
  return isWildcardHostname(hostname) ? labels * 2 : labels * 2 + 1;
}

function uniqueSorted(hostnames: readonly string[]): string[] {
  return [...new Set(hostnames.map((h) => h.toLowerCase()))].sort();
}
