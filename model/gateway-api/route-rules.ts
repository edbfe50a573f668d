// Route rule validation: matches (regular expressions must compile), filters (supported, well-formed, compatible),
// header names and values, weights: everything the CRD's schema or Envoy's own validation would refuse (docs/validation.md).
// An invalid rule is dropped; a route whose rules are all invalid is not accepted.

import { isHTTPRouteFilterRef } from '../policies/http-route-filter.ts';
import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type { GRPCRouteFilter, HTTPRouteFilter, HTTPRouteMatch, Route } from '../resources/gateway-api.ts';
import { RouteReason } from '../shared/conditions.ts';
import {
  headerNameError,
  headerValueError,
  modifiedHeaderNameError,
  pathValueError,
  preciseHostnameError,
} from '../shared/http-fields.ts';
import { escapeRegex, grpcMethodRegex, re2Error, wildcardOriginRegex } from '../shared/re2.ts';
import { ROUTE_KIND_RULES } from './route-kinds.ts';
import { ruleTimingProblem } from './rule-timing.ts';
import { sessionPersistenceProblem } from './session-persistence.ts';

export type RuleVerdict =
  | { readonly index: number; readonly valid: true }
  | {
      readonly index: number;
      readonly valid: false;
      readonly reason: typeof RouteReason.UnsupportedValue | typeof RouteReason.IncompatibleFilters;
      readonly message: string;
    };

const SPEC_FILTERS: { readonly [kind: string]: readonly string[] } = {
  HTTPRoute: [
    'RequestHeaderModifier',
    'ResponseHeaderModifier',
    'RequestRedirect',
    'URLRewrite',
    'RequestMirror',
    'CORS',
    'ExternalAuth',
    'ExtensionRef',
  ],
  GRPCRoute: ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'],
};

/** The config field each filter type carries. */
const FILTER_FIELD: { readonly [type: string]: string } = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  RequestMirror: 'requestMirror',
  CORS: 'cors',
  ExternalAuth: 'externalAuth',
  ExtensionRef: 'extensionRef',
};

const BACKEND_REF_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier'];
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const REDIRECT_CODES = [301, 302, 303, 307, 308];
/** The CRD's maxLength of a header or query match value. */
const MAX_MATCH_VALUE = 4096;
/** The CRD's bounds of a backendRef weight. */
const MAX_WEIGHT = 1_000_000;

type Problem = {
  reason: typeof RouteReason.UnsupportedValue | typeof RouteReason.IncompatibleFilters;
  message: string;
};

export function validateRouteRules(route: Route): RuleVerdict[] {
  const rules = Array.isArray(route.spec?.rules) ? route.spec.rules : [];
  return rules.map((rule, index) => {
    const field = `spec.rules[${index}]`;
    const problem =
      rule === null || typeof rule !== 'object'
        ? unsupported(`${field}: must be an object`)
        : route.kind === 'HTTPRoute'
          ? httpRuleProblem(rule as NonNullable<HTTPRoute['spec']['rules']>[number], field)
          : route.kind === 'GRPCRoute'
            ? grpcRuleProblem(rule as NonNullable<GRPCRoute['spec']['rules']>[number], field)
            : undefined;
    return problem === undefined ? { index, valid: true } : { index, valid: false, ...problem };
  });
}

type HTTPRoute = Extract<Route, { kind: 'HTTPRoute' }>;
type GRPCRoute = Extract<Route, { kind: 'GRPCRoute' }>;

function unsupported(message: string): Problem {
  return { reason: RouteReason.UnsupportedValue, message };
}

function httpRuleProblem(
  rule: NonNullable<HTTPRoute['spec']['rules']>[number],
  field: string,
): Problem | undefined {
  const matches = Array.isArray(rule.matches) ? rule.matches : [];
  for (const [i, match] of matches.entries()) {
    const problem = httpMatchProblem(match, `${field}.matches[${i}]`);
    if (problem !== undefined) return problem;
  }
  const filters = Array.isArray(rule.filters) ? rule.filters : [];
  const problem = filtersProblem('HTTPRoute', filters, `${field}.filters`, matches);
  if (problem !== undefined) return problem;
  const types = filters.map((f) => f?.type);
  const backendRefs = Array.isArray(rule.backendRefs) ? rule.backendRefs : [];
  if (types.includes('RequestRedirect') && backendRefs.length > 0) {
    return {
      reason: RouteReason.IncompatibleFilters,
      message: `${field}: a RequestRedirect filter cannot be combined with backendRefs`,
    };
  }
  for (const [i, ref] of backendRefs.entries()) {
    const refFilters = Array.isArray(ref?.filters) ? ref.filters : [];
    const refProblem =
      weightProblem(ref?.weight, `${field}.backendRefs[${i}].weight`) ??
      filtersProblem('HTTPRoute', refFilters, `${field}.backendRefs[${i}].filters`, matches) ??
      backendRefFiltersProblem(refFilters, `${field}.backendRefs[${i}].filters`);
    if (refProblem !== undefined) return refProblem;
  }
  const timing = ruleTimingProblem(rule, field) ?? sessionPersistenceProblem(rule, field);
  return timing === undefined ? undefined : unsupported(timing);
}

function httpMatchProblem(match: HTTPRouteMatch, field: string): Problem | undefined {
  const path = match?.path;
  if (path !== undefined && path !== null) {
    const type = path.type ?? 'PathPrefix';
    const value = path.value ?? '/';
    if (typeof value !== 'string') return unsupported(`${field}.path.value: must be a string`);
    if (type === 'Exact' || type === 'PathPrefix') {
      if (!value.startsWith('/')) return unsupported(`${field}.path.value: ${value} must start with /`);
    } else if (type === 'RegularExpression') {
      const error = regexError(value);
      if (error !== undefined)
        return unsupported(`${field}.path.value: invalid regular expression: ${error}`);
    } else {
      return unsupported(`${field}.path.type: ${String(type)} is not Exact, PathPrefix or RegularExpression`);
    }
  }
  for (const key of ['headers', 'queryParams'] as const) {
    const problem = valueMatchesProblem(match?.[key], `${field}.${key}`);
    if (problem !== undefined) return problem;
  }
  if (match?.method !== undefined && !HTTP_METHODS.includes(match.method)) {
    return unsupported(`${field}.method: ${String(match.method)} is not an HTTP method`);
  }
  return undefined;
}

/**
 * Header or query parameter matches as Envoy and the CRD take them: names, value lengths, `Exact` or an RE2
 * `RegularExpression` (MCPRoute's `spec.headers` too).
 */
export function valueMatchesProblem(matches: unknown, field: string): Problem | undefined {
  if (matches === undefined || matches === null) return undefined;
  if (!Array.isArray(matches)) return unsupported(`${field}: must be a list`);
  for (const [i, match] of matches.entries()) {
    const type = match?.type ?? 'Exact';
    const nameError = headerNameError(match?.name);
    if (nameError !== undefined) return unsupported(`${field}[${i}].name: ${nameError}`);
    if (typeof match?.value !== 'string') return unsupported(`${field}[${i}].value: must be a string`);
    if (match.value.length > MAX_MATCH_VALUE)
      return unsupported(`${field}[${i}].value: longer than ${MAX_MATCH_VALUE} characters`);
    if (type === 'RegularExpression') {
      const error = regexError(match.value);
      if (error !== undefined)
        return unsupported(`${field}[${i}].value: invalid regular expression: ${error}`);
    } else if (type !== 'Exact') {
      return unsupported(`${field}[${i}].type: ${String(type)} is not Exact or RegularExpression`);
    }
  }
  return undefined;
}

function grpcRuleProblem(
  rule: NonNullable<GRPCRoute['spec']['rules']>[number],
  field: string,
): Problem | undefined {
  const matches = Array.isArray(rule.matches) ? rule.matches : [];
  for (const [i, match] of matches.entries()) {
    const method = match?.method;
    const at = `${field}.matches[${i}].method`;
    if (method !== undefined && method !== null) {
      const type = method.type ?? 'Exact';
      if (type === 'Exact') {
        if (!method.service && !method.method) return unsupported(`${at}: service or method is required`);
      } else if (type === 'RegularExpression') {
        for (const part of ['service', 'method'] as const) {
          const value = method[part];
          const error = value === undefined || value === null ? undefined : regexError(value);
          if (error !== undefined) return unsupported(`${at}.${part}: invalid regular expression: ${error}`);
        }
        // The data plane matches both parts as one path regex: its program counts as a whole.
        const whole = regexError(grpcMethodRegex(String(method.service ?? ''), String(method.method ?? '')));
        if (whole !== undefined) return unsupported(`${at}: invalid regular expression: ${whole}`);
      } else {
        return unsupported(`${at}.type: ${String(type)} is not Exact or RegularExpression`);
      }
    }
    const problem = valueMatchesProblem(match?.headers, `${field}.matches[${i}].headers`);
    if (problem !== undefined) return problem;
  }
  const filters = Array.isArray(rule.filters) ? rule.filters : [];
  const problem = filtersProblem('GRPCRoute', filters, `${field}.filters`, []);
  if (problem !== undefined) return problem;
  const backendRefs = Array.isArray(rule.backendRefs) ? rule.backendRefs : [];
  for (const [i, ref] of backendRefs.entries()) {
    const refFilters = Array.isArray(ref?.filters) ? ref.filters : [];
    const refProblem =
      weightProblem(ref?.weight, `${field}.backendRefs[${i}].weight`) ??
      filtersProblem('GRPCRoute', refFilters, `${field}.backendRefs[${i}].filters`, []) ??
      backendRefFiltersProblem(refFilters, `${field}.backendRefs[${i}].filters`);
    if (refProblem !== undefined) return refProblem;
  }
  const session = sessionPersistenceProblem(rule, field);
  return session === undefined ? undefined : unsupported(session);
}

function filtersProblem(
  kind: 'HTTPRoute' | 'GRPCRoute',
  filters: readonly (HTTPRouteFilter | GRPCRouteFilter)[],
  field: string,
  matches: readonly HTTPRouteMatch[],
): Problem | undefined {
  const supported = ROUTE_KIND_RULES[kind].supportedFilters;
  const seen = new Set<string>();
  for (const [i, filter] of filters.entries()) {
    const type = filter?.type;
    const at = `${field}[${i}]`;
    if (typeof type !== 'string' || !(SPEC_FILTERS[kind] ?? []).includes(type)) {
      return unsupported(`${at}.type: ${String(type)} is not a ${kind} filter`);
    }
    if (!supported.includes(type)) return unsupported(`${at}.type: ${type} filters are not supported`);
    const config = (filter as unknown as Record<string, unknown>)[FILTER_FIELD[type] ?? ''];
    if (config === undefined || config === null || typeof config !== 'object') {
      return unsupported(`${at}.${FILTER_FIELD[type]}: required for a ${type} filter`);
    }
    if (type !== 'RequestMirror' && type !== 'ExtensionRef' && seen.has(type)) {
      return { reason: RouteReason.IncompatibleFilters, message: `${at}: ${type} may appear only once` };
    }
    seen.add(type);
    const problem = filterConfigProblem(filter as HTTPRouteFilter, at, matches);
    if (problem !== undefined) return problem;
  }
  if (seen.has('RequestRedirect') && seen.has('URLRewrite')) {
    return {
      reason: RouteReason.IncompatibleFilters,
      message: `${field}: RequestRedirect and URLRewrite cannot be combined`,
    };
  }
  return undefined;
}

/**
 * Filters on a backendRef apply to the requests sent to that backend only: header modifiers, and an Envoy Gateway
 * HTTPRouteFilter as Envoy Gateway applies one there (its credential injection; what else it holds is refused when
 * the filter is resolved). The spec leaves the other types implementation-specific, so they are refused.
 */
function backendRefFiltersProblem(
  filters: readonly (HTTPRouteFilter | GRPCRouteFilter)[],
  field: string,
): Problem | undefined {
  for (const [i, filter] of filters.entries()) {
    if (filter.type === 'ExtensionRef' && isHTTPRouteFilterRef(filter.extensionRef)) continue;
    if (!BACKEND_REF_FILTERS.includes(filter.type)) {
      return unsupported(
        `${field}[${i}].type: ${filter.type} is not supported on a backendRef (only ${BACKEND_REF_FILTERS.join(', ')} and an ExtensionRef to an HTTPRouteFilter); put it on the rule`,
      );
    }
  }
  return undefined;
}

function filterConfigProblem(
  filter: HTTPRouteFilter,
  at: string,
  matches: readonly HTTPRouteMatch[],
): Problem | undefined {
  if (filter.type === 'ExtensionRef' && !isHTTPRouteFilterRef(filter.extensionRef)) {
    const ref = filter.extensionRef;
    return unsupported(
      `${at}.extensionRef: ${String(ref?.group) || 'core'}/${String(ref?.kind)} is not supported; an ExtensionRef may name a ${ENVOY_GATEWAY_GROUP} HTTPRouteFilter`,
    );
  }
  const redirect = filter.type === 'RequestRedirect' ? filter.requestRedirect : undefined;
  if (redirect?.statusCode !== undefined && !REDIRECT_CODES.includes(redirect.statusCode)) {
    return unsupported(
      `${at}.requestRedirect.statusCode: ${String(redirect.statusCode)} is not one of ${REDIRECT_CODES.join(', ')}`,
    );
  }
  const fields = corsProblem(filter, at) ?? headerFilterProblem(filter, at) ?? hostAndPathProblem(filter, at);
  if (fields !== undefined) return fields;
  if (redirect?.scheme !== undefined && redirect.scheme !== 'http' && redirect.scheme !== 'https') {
    return unsupported(`${at}.requestRedirect.scheme: ${String(redirect.scheme)} is not http or https`);
  }
  const path =
    filter.type === 'RequestRedirect'
      ? redirect?.path
      : filter.type === 'URLRewrite'
        ? filter.urlRewrite?.path
        : undefined;
  if (path !== undefined && path !== null) {
    if (path.type === 'ReplacePrefixMatch') {
      const allPrefix =
        matches.length === 0 || matches.every((m) => (m?.path?.type ?? 'PathPrefix') === 'PathPrefix');
      if (!allPrefix) {
        return unsupported(
          `${at}: path.type ReplacePrefixMatch needs every match of the rule to be a PathPrefix match`,
        );
      }
      // Replacing a prefix by `/` is a regex rewrite of the matched prefix on Envoy.
      for (const [i, match] of matches.entries()) {
        const prefix = typeof match?.path?.value === 'string' ? match.path.value.replace(/\/+$/, '') : '';
        const error = prefix === '' ? undefined : regexError(`^${escapeRegex(prefix)}/*`);
        if (error !== undefined) {
          return unsupported(`${at}: the prefix of matches[${i}] is too long to rewrite: ${error}`);
        }
      }
    } else if (path.type !== 'ReplaceFullPath') {
      return unsupported(
        `${at}: path.type ${String(path.type)} is not ReplaceFullPath or ReplacePrefixMatch`,
      );
    }
  }
  return undefined;
}

/** Why Envoy's RE2 refuses a regex (RE2's error text), or undefined; JavaScript's RegExp is not RE2. */
function regexError(pattern: string): string | undefined {
  return re2Error(pattern);
}

/** CORS origins with wildcards become regexes on the data plane (one per origin). */
function corsProblem(filter: HTTPRouteFilter, at: string): Problem | undefined {
  if (filter.type !== 'CORS') return undefined;
  for (const list of ['allowHeaders', 'exposeHeaders'] as const) {
    const names = filter.cors?.[list];
    if (!Array.isArray(names)) continue;
    for (const [i, name] of names.entries()) {
      const error = name === '*' ? undefined : headerNameError(name);
      if (error !== undefined) return unsupported(`${at}.cors.${list}[${i}]: ${error}`);
    }
  }
  const origins = filter.cors?.allowOrigins;
  if (!Array.isArray(origins)) return undefined;
  for (const [i, origin] of origins.entries()) {
    if (typeof origin !== 'string' || !origin.includes('*')) continue;
    const error = regexError(wildcardOriginRegex(origin));
    if (error !== undefined)
      return unsupported(`${at}.cors.allowOrigins[${i}]: invalid as a regular expression: ${error}`);
  }
  return undefined;
}

/** The headers a header modifier sets, adds and removes: names Envoy may modify, values without CR/LF/NUL. */
function headerFilterProblem(filter: HTTPRouteFilter, at: string): Problem | undefined {
  const modifier =
    filter.type === 'RequestHeaderModifier'
      ? { field: 'requestHeaderModifier', value: filter.requestHeaderModifier }
      : filter.type === 'ResponseHeaderModifier'
        ? { field: 'responseHeaderModifier', value: filter.responseHeaderModifier }
        : undefined;
  if (modifier === undefined || modifier.value === undefined || modifier.value === null) return undefined;
  const seen = new Set<string>();
  for (const list of ['set', 'add'] as const) {
    const headers = modifier.value[list];
    if (headers === undefined || headers === null) continue;
    if (!Array.isArray(headers)) return unsupported(`${at}.${modifier.field}.${list}: must be a list`);
    for (const [i, header] of headers.entries()) {
      const where = `${at}.${modifier.field}.${list}[${i}]`;
      const nameError = modifiedHeaderNameError(header?.name);
      if (nameError !== undefined) return unsupported(`${where}.name: ${nameError}`);
      const valueError = headerValueError(header?.value);
      if (valueError !== undefined) return unsupported(`${where}.value: ${valueError}`);
      // The CRD keys set and add by name: the API server refuses a name twice in one list.
      const key = `${list}/${String(header.name)}`;
      if (seen.has(key)) return unsupported(`${where}.name: ${header.name} appears twice in ${list}`);
      seen.add(key);
    }
  }
  const remove = modifier.value.remove;
  if (remove !== undefined && remove !== null) {
    if (!Array.isArray(remove)) return unsupported(`${at}.${modifier.field}.remove: must be a list`);
    for (const [i, name] of remove.entries()) {
      const nameError = modifiedHeaderNameError(name);
      if (nameError !== undefined) return unsupported(`${at}.${modifier.field}.remove[${i}]: ${nameError}`);
    }
  }
  return undefined;
}

/** The host and path a redirect sends or a rewrite makes become Envoy header values: no CR/LF/NUL. */
function hostAndPathProblem(filter: HTTPRouteFilter, at: string): Problem | undefined {
  const target =
    filter.type === 'RequestRedirect'
      ? { field: 'requestRedirect', value: filter.requestRedirect }
      : filter.type === 'URLRewrite'
        ? { field: 'urlRewrite', value: filter.urlRewrite }
        : undefined;
  if (target?.value === undefined || target.value === null) return undefined;
  const { hostname, path } = target.value;
  if (hostname !== undefined && hostname !== null) {
    const error = preciseHostnameError(hostname);
    if (error !== undefined) return unsupported(`${at}.${target.field}.hostname: ${error}`);
  }
  for (const part of ['replaceFullPath', 'replacePrefixMatch'] as const) {
    const value = path?.[part];
    const error = value === undefined || value === null ? undefined : pathValueError(value);
    if (error !== undefined) return unsupported(`${at}.${target.field}.path.${part}: ${error}`);
  }
  return undefined;
}

function weightProblem(weight: unknown, field: string): Problem | undefined {
  if (weight === undefined || weight === null) return undefined;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT)
    return unsupported(`${field}: ${JSON.stringify(weight)} is not an integer from 0 to ${MAX_WEIGHT}`);
  return undefined;
}

/**
 * Why a route's `spec.hostnames` cannot be served (the CRD's Hostname pattern: lower-case DNS names, a wildcard only
 * as the first label; Envoy refuses CR/LF/NUL in a virtual host's domains), or undefined.
 */
export function routeHostnamesProblem(route: Route): string | undefined {
  const hostnames = (route.spec as { hostnames?: unknown } | undefined)?.hostnames;
  if (hostnames === undefined || hostnames === null) return undefined;
  if (!Array.isArray(hostnames)) return 'spec.hostnames: must be a list';
  for (const [i, hostname] of hostnames.entries()) {
    const name = typeof hostname === 'string' && hostname.startsWith('*.') ? hostname.slice(2) : hostname;
    const error = preciseHostnameError(name);
    if (error !== undefined)
      return `spec.hostnames[${i}]: ${JSON.stringify(hostname)} is not a lower-case DNS name (a wildcard may only be the first label)`;
  }
  return undefined;
}

/** PartiallyInvalid message; the spec requires it to start with "Dropped Rule". */
export function droppedRulesMessage(verdicts: readonly RuleVerdict[]): string | undefined {
  const dropped = verdicts.filter((v): v is Extract<RuleVerdict, { valid: false }> => !v.valid);
  if (dropped.length === 0) return undefined;
  const first = dropped[0] as Extract<RuleVerdict, { valid: false }>;
  const which = dropped.map((v) => v.index).join(', ');
  return `Dropped Rule${dropped.length > 1 ? 's' : ''} ${which}: ${first.message}`;
}
