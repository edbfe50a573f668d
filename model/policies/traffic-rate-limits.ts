// BackendTrafficPolicy `rateLimit` → the IR's rate limit rules. Global rules are counted by the rate limit
// service (shared by every Envoy replica, kept in Redis); local rules by each Envoy on its own. A rule's client
// selectors must all hold (headers and query parameters Exact, RegularExpression or Distinct — one bucket per
// value — methods, a path, a source CIDR Exact or Distinct). Costs come from a number or from the request's
// dynamic metadata (the token usage the AI ext_proc writes), on the request or, for global rules, the response.
import { isIP } from 'node:net';
import type {
  RateLimitCostIR,
  RateLimitRuleIR,
  RateLimitSelectorIR,
  RateLimitValueMatchIR,
} from '../ir/traffic-policies.ts';
import type {
  BackendTrafficPolicy,
  RateLimitCostSpecifier,
  RateLimitHeaderMatch,
  RateLimitRule,
  RateLimitSelectCondition,
} from '../resources/backend-traffic-policy.ts';
import { keyOf, type ResourceKey } from '../resources/resource-key.ts';
import { re2Error } from '../shared/re2.ts';
import { failure, type Resolved } from './policy-backends.ts';

export interface RateLimitsIR {
  readonly global: readonly RateLimitRuleIR[];
  readonly local: readonly RateLimitRuleIR[];
}

/** The policy's rate limit rules, or why one cannot be enforced. */
const NO_RULES: readonly RateLimitRuleIR[] = Object.freeze([]);

export function rateLimitsOf(
  policy: BackendTrafficPolicy,
  owner: ResourceKey = keyOf(policy),
): Resolved<RateLimitsIR | undefined> {
  const spec = policy.spec?.rateLimit;
  if (spec === undefined || spec === null) return { ok: true, value: undefined };
  // `type` is deprecated: when given it must agree with the field that is set.
  if (spec.type === 'Global' && spec.global === undefined)
    return failure('spec.rateLimit.global: required when spec.rateLimit.type is Global');
  if (spec.type === 'Local' && spec.local === undefined)
    return failure('spec.rateLimit.local: required when spec.rateLimit.type is Local');
  const global: RateLimitRuleIR[] = [];
  for (const [i, rule] of (spec.global?.rules ?? []).entries()) {
    const parsed = ruleOf(owner, rule, i, 'global');
    if (!parsed.ok) return parsed;
    global.push(parsed.value);
  }
  const local: RateLimitRuleIR[] = [];
  for (const [i, rule] of (spec.local?.rules ?? []).entries()) {
    const parsed = ruleOf(owner, rule, i, 'local');
    if (!parsed.ok) return parsed;
    local.push(parsed.value);
  }
  if (global.length === 0 && local.length === 0) return { ok: true, value: undefined };
  // A policy with rules of one kind only (nearly all) shares one empty list for the other, and a list built by
  // `push` is kept at its length (it has room for 17 rules behind one: ~130 bytes per policy, held with its IR).
  return {
    ok: true,
    value: {
      global: global.length === 0 ? NO_RULES : global.slice(),
      local: local.length === 0 ? NO_RULES : local.slice(),
    },
  };
}

function ruleOf(
  owner: ResourceKey,
  rule: RateLimitRule,
  index: number,
  scope: 'global' | 'local',
): Resolved<RateLimitRuleIR> {
  const field = `spec.rateLimit.${scope}.rules[${index}]`;
  const limit = rule.limit;
  if (limit?.fromMetadata !== undefined)
    return failure(`${field}.limit.fromMetadata: not supported by Switchyard; remove it`);
  if (typeof limit?.requests !== 'number' || typeof limit.unit !== 'string')
    return failure(`${field}.limit: requests and unit are required`);
  const selector = selectorOf(rule.clientSelectors ?? [], `${field}.clientSelectors`, scope);
  if (!selector.ok) return selector;
  const requestCost = costOf(rule.cost?.request, `${field}.cost.request`);
  if (!requestCost.ok) return requestCost;
  const responseCost = costOf(rule.cost?.response, `${field}.cost.response`);
  if (!responseCost.ok) return responseCost;
  if (scope === 'local') {
    if (responseCost.value !== undefined)
      return failure(`${field}.cost.response: only global rate limits take a cost from the response`);
    if (rule.shadowMode === true)
      return failure(`${field}.shadowMode: only global rate limits have a shadow mode`);
    if (requestCost.value?.kind === 'Metadata')
      return failure(`${field}.cost.request: a local rate limit takes a Number cost only`);
  }
  return {
    ok: true,
    value: {
      owner,
      index,
      selector: selector.value,
      requests: limit.requests,
      unit: limit.unit,
      ...(requestCost.value === undefined ? {} : { requestCost: requestCost.value }),
      ...(responseCost.value === undefined ? {} : { responseCost: responseCost.value }),
      shared: rule.shared === true,
      shadowMode: rule.shadowMode === true,
      ...(rule.xRateLimitHeaders === undefined ? {} : { xRateLimitHeaders: rule.xRateLimitHeaders }),
    },
  };
}

function costOf(
  cost: RateLimitCostSpecifier | undefined,
  field: string,
): Resolved<RateLimitCostIR | undefined> {
  if (cost === undefined || cost === null) return { ok: true, value: undefined };
  if (cost.from === 'Number') {
    if (cost.metadata !== undefined) return failure(`${field}.metadata: set either number or metadata`);
    return { ok: true, value: { kind: 'Number', number: cost.number ?? 1 } };
  }
  if (cost.number !== undefined) return failure(`${field}.number: set either number or metadata`);
  const namespace = cost.metadata?.namespace;
  const key = cost.metadata?.key;
  if (typeof namespace !== 'string' || namespace === '' || typeof key !== 'string' || key === '')
    return failure(`${field}.metadata: namespace and key are required with from: Metadata`);
  return { ok: true, value: { kind: 'Metadata', namespace, key } };
}

/** A rule without client selectors: every client. One object, shared by every such rule (there may be 10,000s). */
const EVERY_CLIENT: RateLimitSelectorIR = Object.freeze({
  headers: Object.freeze([]),
  methods: Object.freeze([]),
  queryParams: Object.freeze([]),
});

/** Every client selector must hold: their parts are joined into one selector. */
function selectorOf(
  selectors: readonly RateLimitSelectCondition[],
  field: string,
  scope: 'global' | 'local',
): Resolved<RateLimitSelectorIR> {
  if (selectors.length === 0) return { ok: true, value: EVERY_CLIENT };
  const headers: RateLimitValueMatchIR[] = [];
  const queryParams: RateLimitValueMatchIR[] = [];
  let methods: RateLimitSelectorIR['methods'] = [];
  let path: RateLimitSelectorIR['path'];
  let sourceCIDR: RateLimitSelectorIR['sourceCIDR'];
  for (const [i, selector] of selectors.entries()) {
    const at = `${field}[${i}]`;
    const parts = ['headers', 'methods', 'path', 'sourceCIDR', 'queryParams'] as const;
    if (!parts.some((part) => selector?.[part] !== undefined))
      return failure(`${at}: set at least one of ${parts.join(', ')}`);
    for (const [j, header] of (selector.headers ?? []).entries()) {
      const match = valueMatchOf(header, `${at}.headers[${j}]`, scope);
      if (!match.ok) return match;
      headers.push({ ...match.value, name: match.value.name.toLowerCase() });
    }
    for (const [j, param] of (selector.queryParams ?? []).entries()) {
      const match = valueMatchOf(param, `${at}.queryParams[${j}]`, scope);
      if (!match.ok) return match;
      queryParams.push(match.value);
    }
    if (selector.methods !== undefined) {
      if (methods.length > 0)
        return failure(`${at}.methods: only one client selector of a rule may list methods`);
      methods = selector.methods.map((m) => ({ value: String(m?.value ?? ''), invert: m?.invert === true }));
    }
    if (selector.path !== undefined) {
      if (path !== undefined)
        return failure(`${at}.path: only one client selector of a rule may match the path`);
      const type = selector.path.type ?? 'PathPrefix';
      const value = selector.path.value ?? '/';
      if (type === 'RegularExpression') {
        const error = regexError(value);
        if (error !== undefined) return failure(`${at}.path.value: invalid regular expression: ${error}`);
      } else if (!value.startsWith('/')) return failure(`${at}.path.value: ${value} must start with /`);
      path = { type, value, invert: selector.path.invert === true };
    }
    if (selector.sourceCIDR !== undefined) {
      if (sourceCIDR !== undefined)
        return failure(`${at}.sourceCIDR: only one client selector of a rule may match the source CIDR`);
      const cidr = String(selector.sourceCIDR.value ?? '');
      const [address = '', length] = cidr.split('/');
      const family = isIP(address);
      const prefixLength = length === undefined ? (family === 6 ? 128 : 32) : Number(length);
      if (
        family === 0 ||
        !Number.isInteger(prefixLength) ||
        prefixLength < 0 ||
        prefixLength > (family === 6 ? 128 : 32)
      )
        return failure(`${at}.sourceCIDR.value: "${cidr}" is not a CIDR`);
      const distinct = selector.sourceCIDR.type === 'Distinct';
      if (distinct && scope === 'local')
        return failure(`${at}.sourceCIDR.type: Distinct is supported for global rate limits only`);
      sourceCIDR = {
        cidr: `${address}/${prefixLength}`,
        address,
        prefixLength,
        distinct,
        invert: selector.sourceCIDR.invert === true,
      };
    }
  }
  return {
    ok: true,
    value: {
      headers,
      methods,
      ...(path === undefined ? {} : { path }),
      ...(sourceCIDR === undefined ? {} : { sourceCIDR }),
      queryParams,
    },
  };
}

function valueMatchOf(
  match: RateLimitHeaderMatch,
  field: string,
  scope: 'global' | 'local',
): Resolved<RateLimitValueMatchIR> {
  const name = String(match?.name ?? '');
  if (name === '') return failure(`${field}.name: required`);
  const type = match.type ?? 'Exact';
  if (type === 'Distinct') {
    if (scope === 'local') return failure(`${field}.type: Distinct is supported for global rate limits only`);
    if (match.value !== undefined || match.invert === true)
      return failure(`${field}: a Distinct match takes neither value nor invert`);
    return { ok: true, value: { name, match: { kind: 'Distinct' }, invert: false } };
  }
  const value = match.value;
  if (value === undefined)
    return failure(`${field}.value: required for an ${type} match (Distinct matches any value)`);
  if (type === 'RegularExpression') {
    const error = regexError(value);
    if (error !== undefined) return failure(`${field}.value: invalid regular expression: ${error}`);
  }
  return { ok: true, value: { name, match: { kind: type, value }, invert: match.invert === true } };
}

/** Why Envoy's RE2 refuses a regex (RE2's error text, or its program size over the bootstrap's limit). */
function regexError(pattern: string): string | undefined {
  return re2Error(pattern);
}
