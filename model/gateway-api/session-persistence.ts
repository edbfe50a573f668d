// A route rule's `sessionPersistence` (Gateway API v1.6, GEP-1619), validated once here and carried by the IR:
// Envoy keeps the session in a cookie or a header naming the endpoint (its stateful_session filter, as Envoy
// Gateway configures it). What Envoy cannot honour is refused by name and the rule is left out: an idle timeout
// (Envoy's sessions have none), an expiry on a header session, and a cookie whose lifetime contradicts its
// timeout (a Permanent cookie needs absoluteTimeout for its Max-Age; a Session cookie cannot expire earlier).
import type { SessionPersistenceIR } from '../ir/gateway-ir.ts';
import { parseGatewayDuration } from '../shared/durations.ts';

interface RawRule {
  readonly sessionPersistence?: unknown;
  readonly matches?: unknown;
}

/** A cookie or header name: an HTTP token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

/** Why a rule's `sessionPersistence` cannot be honoured, naming the field; undefined when fine or absent. */
export function sessionPersistenceProblem(rule: RawRule, field: string): string | undefined {
  const result = readSessionPersistence(rule, field, '');
  return result !== undefined && 'problem' in result ? result.problem : undefined;
}

/**
 * The rule's session persistence; undefined when absent or invalid (invalid rules are left out). A session
 * without a name gets one from the route and rule (`defaultName`).
 */
export function sessionPersistenceOf(rule: RawRule, defaultName: string): SessionPersistenceIR | undefined {
  const result = readSessionPersistence(rule, 'rule', defaultName);
  return result !== undefined && 'session' in result ? result.session : undefined;
}

function readSessionPersistence(
  rule: RawRule,
  field: string,
  defaultName: string,
): { readonly session: SessionPersistenceIR } | { readonly problem: string } | undefined {
  const raw = rule.sessionPersistence;
  if (raw === undefined || raw === null) return undefined;
  const at = `${field}.sessionPersistence`;
  if (typeof raw !== 'object') return { problem: `${at}: must be an object` };
  const spec = raw as Record<string, unknown>;
  const type = spec.type ?? 'Cookie';
  if (type !== 'Cookie' && type !== 'Header')
    return { problem: `${at}.type: ${String(type)} is not Cookie or Header` };
  const name = spec.sessionName ?? defaultName;
  if (typeof name !== 'string' || (spec.sessionName !== undefined && !TOKEN.test(name)))
    return { problem: `${at}.sessionName: ${JSON.stringify(name)} is not a ${type.toLowerCase()} name` };
  if (spec.idleTimeout !== undefined && spec.idleTimeout !== null)
    return {
      problem: `${at}.idleTimeout: not supported (Envoy's stateful sessions have no idle timeout); remove it`,
    };
  let ttlMs: number | undefined;
  if (spec.absoluteTimeout !== undefined && spec.absoluteTimeout !== null) {
    ttlMs = parseGatewayDuration(spec.absoluteTimeout);
    if (ttlMs === undefined || ttlMs <= 0)
      return {
        problem: `${at}.absoluteTimeout: ${JSON.stringify(spec.absoluteTimeout)} is not a positive duration`,
      };
  }
  const cookieConfig = spec.cookieConfig as { lifetimeType?: unknown } | undefined | null;
  if (type === 'Header') {
    if (ttlMs !== undefined)
      return {
        problem: `${at}.absoluteTimeout: a Header session carries no expiry; remove it or use a Cookie`,
      };
    if (cookieConfig !== undefined && cookieConfig !== null)
      return { problem: `${at}.cookieConfig: only for a Cookie session` };
    return { session: { type: 'Header', name } };
  }
  const lifetime = cookieConfig?.lifetimeType ?? 'Session';
  if (lifetime !== 'Session' && lifetime !== 'Permanent')
    return { problem: `${at}.cookieConfig.lifetimeType: ${String(lifetime)} is not Permanent or Session` };
  if (lifetime === 'Permanent' && ttlMs === undefined)
    return { problem: `${at}.absoluteTimeout: required with lifetimeType Permanent (the cookie's Max-Age)` };
  if (lifetime === 'Session' && ttlMs !== undefined)
    return {
      problem: `${at}.absoluteTimeout: a Session cookie has no expiry of its own; set cookieConfig.lifetimeType: Permanent`,
    };
  return {
    session: {
      type: 'Cookie',
      name,
      path: cookiePath(rule.matches),
      ...(ttlMs === undefined ? {} : { ttlMs }),
    },
  };
}

/**
 * The cookie's Path: what the rule's path matches share (GEP-1619: the matched path, a regular expression's
 * longest literal prefix), whole segments only; `/` without path matches.
 */
function cookiePath(matches: unknown): string {
  const paths = (Array.isArray(matches) ? matches : []).map((match) => {
    const path = (match as { path?: { type?: string; value?: unknown } } | null)?.path;
    if (path === undefined || path === null || typeof path.value !== 'string') return '/';
    if ((path.type ?? 'PathPrefix') !== 'RegularExpression') return path.value;
    const literal = /^[^.*+?()[\]{}|\\^$]*/.exec(path.value.replace(/^\^/, ''))?.[0] ?? '';
    return literal.slice(0, literal.lastIndexOf('/') + 1) || '/';
  });
  if (paths.length === 0) return '/';
  const segments = paths.map((path) => path.split('/'));
  const common: string[] = [];
  for (let i = 0; segments.every((s) => i < s.length && s[i] === segments[0]![i]); i++)
    common.push(segments[0]![i]!);
  const joined = common.join('/').replace(/\/$/, '');
  return joined === '' ? '/' : joined;
}
