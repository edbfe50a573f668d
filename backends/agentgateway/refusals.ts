// agentgateway NACKs per resource: its xDS client applies every resource of a response it can, and answers with an
// error_detail whose message is a JSON list of `{"key": <resource name>, "warn": <text>}` (applied, with a warning)
// and `{"key": <resource name>, "error": <text>}` (that resource dropped) entries (agentgateway's
// `crates/xds/src/client.rs`, RejectedConfig::format_json). Any other detail refuses the response as a whole.
import type { PerResourceRefusal } from '../shared/proxy-session.ts';

/** The entries of a per-resource NACK, or undefined when the detail is not one. */
export function readPerResourceNack(detail: string): readonly PerResourceRefusal[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(detail);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
  const out: PerResourceRefusal[] = [];
  for (const entry of parsed) {
    if (entry === null || typeof entry !== 'object') return undefined;
    const { key, warn, error } = entry as { key?: unknown; warn?: unknown; error?: unknown };
    if (typeof key !== 'string') return undefined;
    if (typeof error === 'string') out.push({ name: key, severity: 'error', message: error });
    else if (typeof warn === 'string') out.push({ name: key, severity: 'warning', message: warn });
    else return undefined;
  }
  return out;
}
