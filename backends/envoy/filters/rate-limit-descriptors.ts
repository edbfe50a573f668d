// Rate limit rules (the IR's RateLimitRuleIR) as the three things that must agree: the route's rate limit actions
// that make a request's descriptor, the rate limit service's descriptor tree that holds each bucket's limit
// (global rules), and Envoy's local descriptors with their token buckets (local rules). A descriptor starts with
// the rule's bucket (`rule` = policy/index, plus the listener and route rule unless the rule is shared), then one
// entry per selector part in a fixed order: headers, method, path, source CIDR (and the client address when
// Distinct), query parameters. A part that does not hold produces no descriptor, so the rule does not count the
// request; a Distinct part puts the request's value in the descriptor, one bucket per value.
import { isIP } from 'node:net';
import type {
  RateLimitCostIR,
  RateLimitRuleIR,
  RateLimitValueMatchIR,
} from '../../../model/ir/traffic-policies.ts';
import { RATE_LIMIT_UNIT_MILLIS } from '../../shared/rate-limit-units.ts';
import { protoDuration } from '../duration.ts';
import type { Json } from '../envoy-types.ts';
import { listenerKey } from '../names.ts';
import type { ServedRule } from './registry.ts';

/** The one domain of every global rule: buckets are told apart by their first descriptor entry. */
export const RATE_LIMIT_DOMAIN = 'switchyard';
/** Route rate limits carry a stage: the global filter reads stage 0, the local filter stage 1. */
export const GLOBAL_RATE_LIMIT_STAGE = 0;
export const LOCAL_RATE_LIMIT_STAGE = 1;
const MATCHED = 'match';

interface Step {
  readonly action: Json;
  /** The descriptor entry it makes: a fixed value, or any value (one bucket each) when undefined. */
  readonly key: string;
  readonly value?: string;
}

/** The bucket of a rule: shared across every route of its policy, or its own per listener and route rule. */
export function bucketOf(rule: RateLimitRuleIR, served: ServedRule): string {
  // A BackendTrafficPolicy's buckets are `<ns>/<name>/<index>`; another kind's (a QuotaPolicy's) carry the kind, so
  // two policies of one name never share a counter.
  const kind = rule.owner.kind === 'BackendTrafficPolicy' ? '' : `${rule.owner.kind}:`;
  const policy = `${kind}${rule.owner.namespace ?? ''}/${rule.owner.name}/${rule.index}`;
  if (rule.shared) return policy;
  const route = served.route.route;
  const listener = served.listener === undefined ? '' : `${listenerKey(served.listener)}/`;
  return `${policy}@${listener}${route.kind}/${route.namespace ?? ''}/${route.name}/${served.rule.name ?? served.rule.index}`;
}

/** The steps of a rule's descriptor, once per method it selects (methods are alternatives). */
function stepsOf(rule: RateLimitRuleIR, bucket: string): Step[][] {
  const head: Step[] = [
    {
      action: { genericKey: { descriptorKey: 'rule', descriptorValue: bucket } },
      key: 'rule',
      value: bucket,
    },
    ...rule.selector.headers.map((header) => valueStep(header, 'header')),
  ];
  const tail: Step[] = [];
  const path = rule.selector.path;
  if (path !== undefined) {
    const stringMatch =
      path.type === 'Exact'
        ? { exact: path.value }
        : path.type === 'PathPrefix'
          ? { prefix: path.value }
          : { safeRegex: { regex: path.value } };
    tail.push(matchStep('path', { name: ':path', stringMatch }, path.invert));
  }
  const cidr = rule.selector.sourceCIDR;
  if (cidr !== undefined) {
    const mask =
      isIP(cidr.address) === 6
        ? { v6PrefixMaskLen: cidr.prefixLength }
        : { v4PrefixMaskLen: cidr.prefixLength };
    tail.push({
      action: { maskedRemoteAddress: mask },
      key: 'masked_remote_address',
      value: networkOf(cidr.address, cidr.prefixLength),
    });
    if (cidr.distinct) tail.push({ action: { remoteAddress: {} }, key: 'remote_address' });
  }
  tail.push(...rule.selector.queryParams.map((param) => valueStep(param, 'query')));
  const methods = rule.selector.methods;
  if (methods.length === 0) return [[...head, ...tail]];
  return methods.map((method) => [
    ...head,
    matchStep('method', { name: ':method', stringMatch: { exact: method.value } }, method.invert),
    ...tail,
  ]);
}

function matchStep(key: string, header: Json, invert: boolean): Step {
  return {
    action: {
      headerValueMatch: {
        descriptorKey: key,
        descriptorValue: MATCHED,
        expectMatch: !invert,
        headers: [header],
      },
    },
    key,
    value: MATCHED,
  };
}

function valueStep(match: RateLimitValueMatchIR, where: 'header' | 'query'): Step {
  const key = `${where}:${match.name}`;
  if (match.match.kind === 'Distinct') {
    return where === 'header'
      ? { action: { requestHeaders: { headerName: match.name, descriptorKey: key } }, key }
      : { action: { queryParameters: { queryParameterName: match.name, descriptorKey: key } }, key };
  }
  const stringMatch =
    match.match.kind === 'Exact' ? { exact: match.match.value } : { safeRegex: { regex: match.match.value } };
  if (where === 'header') return matchStep(key, { name: match.name, stringMatch }, match.invert);
  return {
    action: {
      queryParameterValueMatch: {
        descriptorKey: key,
        descriptorValue: MATCHED,
        expectMatch: !match.invert,
        queryParameters: [{ name: match.name, stringMatch }],
      },
    },
    key,
    value: MATCHED,
  };
}

function hitsAddend(cost: RateLimitCostIR): Json {
  return cost.kind === 'Number'
    ? { number: String(cost.number) }
    : { format: `%DYNAMIC_METADATA(${cost.namespace}:${cost.key})%` };
}

/** The route's rate limit actions (envoy.config.route.v3.RateLimit) for rules read at one stage. */
export function routeRateLimits(
  rules: readonly RateLimitRuleIR[],
  served: ServedRule,
  stage: number,
): Json[] {
  const out: Json[] = [];
  for (const rule of rules) {
    const option =
      rule.xRateLimitHeaders === undefined
        ? {}
        : { xRatelimitOption: rule.xRateLimitHeaders === 'Off' ? 'OFF' : 'DRAFT_VERSION_03' };
    for (const steps of stepsOf(rule, bucketOf(rule, served))) {
      const actions = steps.map((step) => step.action);
      out.push({
        ...(stage === 0 ? {} : { stage }),
        actions,
        ...option,
        ...(rule.requestCost === undefined ? {} : { hitsAddend: hitsAddend(rule.requestCost) }),
      });
      // The response's cost counts once the stream is done, against the same bucket.
      if (rule.responseCost !== undefined)
        out.push({
          ...(stage === 0 ? {} : { stage }),
          actions,
          ...option,
          hitsAddend: hitsAddend(rule.responseCost),
          applyOnStreamDone: true,
        });
    }
  }
  return out;
}

/** The rate limit service's descriptor trees (ratelimit.config.ratelimit.v3.RateLimitDescriptor), one per bucket. */
export function serviceDescriptors(rules: readonly RateLimitRuleIR[], served: ServedRule): Json[] {
  const out: Json[] = [];
  for (const rule of rules) {
    // Methods share the descriptor of their rule: one tree (the method entry is the same for each).
    const [steps] = stepsOf(rule, bucketOf(rule, served));
    if (steps === undefined) continue;
    let tree: Json | undefined;
    for (const step of [...steps].reverse()) {
      const leaf = tree === undefined;
      tree = {
        key: step.key,
        ...(step.value === undefined ? {} : { value: step.value }),
        ...(leaf
          ? {
              rateLimit: { unit: rule.unit.toUpperCase(), requestsPerUnit: rule.requests },
              ...(rule.shadowMode ? { shadowMode: true } : {}),
            }
          : { descriptors: [tree] }),
      };
    }
    if (tree !== undefined) out.push(tree);
  }
  return out;
}

/** Envoy's local descriptors (each with its token bucket) for local rules; Distinct parts are refused upstream. */
export function localDescriptors(rules: readonly RateLimitRuleIR[], served: ServedRule): Json[] {
  return rules.map((rule) => {
    const [steps = []] = stepsOf(rule, bucketOf(rule, served));
    return {
      entries: steps.map((step) => ({ key: step.key, value: step.value ?? '' })),
      tokenBucket: {
        maxTokens: rule.requests,
        tokensPerFill: rule.requests,
        fillInterval: protoDuration(RATE_LIMIT_UNIT_MILLIS[rule.unit]),
      },
    };
  });
}

/** The network of an address under a prefix, as Envoy's masked_remote_address writes it (`10.0.0.0/8`). */
export function networkOf(address: string, prefixLength: number): string {
  if (isIP(address) === 4) {
    const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
    const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
    const network = (value & mask) >>> 0;
    return `${[24, 16, 8, 0].map((shift) => (network >>> shift) & 255).join('.')}/${prefixLength}`;
  }
  const groups = expandIPv6(address);
  const masked = groups.map((group, i) => {
    const bits = Math.max(0, Math.min(16, prefixLength - i * 16));
    return bits === 0 ? 0 : group & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${compressIPv6(masked)}/${prefixLength}`;
}

function expandIPv6(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
}

/** RFC 5952 text: the longest run (two or more) of zero groups becomes `::`. */
function compressIPv6(groups: readonly number[]): string {
  let best = { start: -1, length: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}
