// Envoy Gateway's HTTPRouteFilter as an HTTPRoute rule's ExtensionRef filter: a fixed (direct) response, a
// regular-expression path rewrite, Host rewrites (from a header, the backend's name or the path) and a credential
// from a Secret injected into a request header. An
// ExtensionRef that names a missing HTTPRouteFilter, one Switchyard cannot apply (a field it does not implement,
// a regex RE2 rejects, a body ConfigMap that is missing), or that conflicts with the rule's own URLRewrite makes
// the rule answer 500 and the route's ResolvedRefs say why, with reason UnsupportedValue (as Envoy Gateway does).

import type {
  CredentialInjectionIR,
  ExtensionRefFilterIR,
  HTTPRouteFilterIR,
  RegexSubstitution,
} from '../ir/envoy-gateway.ts';
import {
  ENVOY_GATEWAY_GROUP,
  type EnvoyHTTPRouteFilter,
  HTTP_ROUTE_FILTER_SPEC,
  type HTTPRouteFilterSpec,
} from '../resources/envoy-gateway.ts';
import { schemaProblems } from '../resources/field-schema.ts';
import type { HTTPRouteFilter, LocalObjectReference } from '../resources/gateway-api.ts';
import {
  ANY_NAME,
  CORE_GROUP,
  GATEWAY_GROUP,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import { re2Error } from '../shared/re2.ts';
import { isReferenceAllowed, normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';

export const HTTP_ROUTE_FILTER_KIND = 'HTTPRouteFilter';
/** Envoy refuses a route configuration whose direct response body is larger (its default limit). */
const MAX_DIRECT_RESPONSE_BODY = 4096;
const BODY_KEY = 'response.body';

/** Whether an ExtensionRef names an Envoy Gateway HTTPRouteFilter. */
export function isHTTPRouteFilterRef(ref: Partial<LocalObjectReference> | undefined | null): boolean {
  return ref?.group === ENVOY_GATEWAY_GROUP && ref.kind === HTTP_ROUTE_FILTER_KIND;
}

export type HTTPRouteFilterResolution =
  | { readonly ok: true; readonly filter: HTTPRouteFilterIR }
  | { readonly ok: false; readonly message: string };

/** The HTTPRouteFilter `namespace/name` as the data plane applies it, or why it cannot be applied. */
export function resolveHTTPRouteFilter(
  view: ResourceView,
  namespace: string,
  name: string,
): HTTPRouteFilterResolution {
  const object = view.get('HTTPRouteFilter', namespace, name);
  if (object === undefined)
    return fail(`Unable to translate HTTPRouteFilter: ${namespace}/${name} not found`);
  const at = (message: string) => fail(`HTTPRouteFilter ${namespace}/${name}: ${message}`);
  // Unknown fields and wrong types first, as strict field validation would name them.
  const strict = schemaProblems(object.spec ?? {}, HTTP_ROUTE_FILTER_SPEC, 'spec');
  if (strict.length > 0) return at(strict.join('; '));
  const spec = object.spec ?? {};
  if (spec.requestMirror !== undefined && spec.requestMirror !== null) {
    return at("spec.requestMirror: not supported by Switchyard; use the rule's RequestMirror filter");
  }
  if (Array.isArray(spec.matches) && spec.matches.length > 0) {
    return at('spec.matches: cookie matches are not supported by Switchyard');
  }
  const filter: { -readonly [K in keyof HTTPRouteFilterIR]: HTTPRouteFilterIR[K] } = {
    filter: resourceKey(ENVOY_GATEWAY_GROUP, HTTP_ROUTE_FILTER_KIND, namespace, name),
  };
  if (spec.credentialInjection !== undefined && spec.credentialInjection !== null) {
    const injection = credentialInjection(spec.credentialInjection, namespace, view);
    if (typeof injection === 'string') return at(injection);
    filter.credentialInjection = injection;
  }
  const rewrite = spec.urlRewrite;
  if (rewrite !== undefined && rewrite !== null) {
    const path = rewrite.path;
    if (path !== undefined && path !== null) {
      if (path.type !== 'ReplaceRegexMatch') {
        return at(`spec.urlRewrite.path.type: ${String(path.type)} is not ReplaceRegexMatch`);
      }
      const regex = substitution(path.replaceRegexMatch, 'spec.urlRewrite.path.replaceRegexMatch', false);
      if (typeof regex === 'string') return at(regex);
      filter.pathRegexRewrite = regex;
    }
    const hostname = rewrite.hostname;
    if (hostname !== undefined && hostname !== null) {
      const field = 'spec.urlRewrite.hostname';
      if (hostname.type === 'Header') {
        if (typeof hostname.header !== 'string' || hostname.header === '') {
          return at(`${field}.header: required for type Header`);
        }
        filter.hostRewrite = { header: hostname.header };
      } else if (hostname.type === 'Backend') {
        filter.hostRewrite = { backend: true };
      } else if (hostname.type === 'PathRegex') {
        const regex = substitution(hostname.pathRegex, `${field}.pathRegex`, true);
        if (typeof regex === 'string') return at(regex);
        filter.hostRewrite = { pathRegex: regex };
      } else {
        return at(`${field}.type: ${String(hostname.type)} is not Header, Backend or PathRegex`);
      }
    }
    if (typeof rewrite.appendXForwardedHost === 'boolean') {
      filter.appendXForwardedHost = rewrite.appendXForwardedHost;
    }
  }
  const direct = spec.directResponse;
  if (direct !== undefined && direct !== null) {
    const status = direct.statusCode ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      return at(`spec.directResponse.statusCode: ${String(status)} is not an HTTP status (200-599)`);
    }
    let body: string | undefined;
    const source = direct.body;
    if (source !== undefined && source !== null) {
      const type = source.type ?? 'Inline';
      if (type === 'Inline') {
        if (typeof source.inline !== 'string')
          return at('spec.directResponse.body.inline: required for type Inline');
        body = source.inline;
      } else if (type === 'ValueRef') {
        const ref = source.valueRef;
        if (normalizeGroup(ref?.group) !== CORE_GROUP || ref?.kind !== 'ConfigMap') {
          return at('spec.directResponse.body.valueRef: only a ConfigMap is supported');
        }
        const data = view.get('ConfigMap', namespace, String(ref.name))?.data;
        if (data === undefined) {
          return at(`spec.directResponse.body.valueRef: ConfigMap ${namespace}/${ref.name} not found`);
        }
        // The key response.body, else the first value (Envoy Gateway's rule).
        const first = Object.keys(data).sort()[0];
        body = data[BODY_KEY] ?? (first === undefined ? undefined : data[first]);
        if (body === undefined) {
          return at(`spec.directResponse.body.valueRef: ConfigMap ${namespace}/${ref.name} has no data`);
        }
      } else {
        return at(`spec.directResponse.body.type: ${String(type)} is not Inline or ValueRef`);
      }
      if (Buffer.byteLength(body) > MAX_DIRECT_RESPONSE_BODY) {
        return at(`spec.directResponse.body: longer than ${MAX_DIRECT_RESPONSE_BODY} bytes`);
      }
    }
    const header = direct.header;
    if (Array.isArray(header?.remove) && header.remove.length > 0) {
      return at('spec.directResponse.header.remove: not allowed for a direct response');
    }
    const entry = (h: { name?: unknown; value?: unknown }) => ({
      name: String(h?.name),
      value: String(h?.value ?? ''),
    });
    const set = (header?.set ?? []).map(entry);
    if (typeof direct.contentType === 'string' && direct.contentType !== '') {
      set.push({ name: 'Content-Type', value: direct.contentType });
    }
    filter.directResponse = {
      status,
      ...(body === undefined ? {} : { body }),
      headers: { set, add: (header?.add ?? []).map(entry) },
    };
  }
  return { ok: true, filter };
}

/** Envoy Gateway's key of the credential in the Secret `credentialInjection.credential.valueRef` names. */
const CREDENTIAL_KEY = 'credential';

/**
 * The Secret's credential and where it goes, or why not: the Secret (in the filter's namespace, or another one a
 * ReferenceGrant opens to HTTPRouteFilters) must exist and hold a non-empty `credential`.
 */
function credentialInjection(
  spec: NonNullable<HTTPRouteFilterSpec['credentialInjection']>,
  namespace: string,
  view: ResourceView,
): CredentialInjectionIR | string {
  const field = 'spec.credentialInjection.credential.valueRef';
  const ref = spec.credential?.valueRef;
  if (normalizeGroup(ref?.group) !== CORE_GROUP || (ref?.kind ?? 'Secret') !== 'Secret') {
    return `${field}: ${String(ref?.group) || 'core'}/${String(ref?.kind)} is not a Secret`;
  }
  const name = String(ref?.name ?? '');
  const secretNamespace =
    typeof ref?.namespace === 'string' && ref.namespace !== '' ? ref.namespace : namespace;
  const allowed = isReferenceAllowed(
    view,
    { group: ENVOY_GATEWAY_GROUP, kind: HTTP_ROUTE_FILTER_KIND, namespace },
    { group: CORE_GROUP, kind: 'Secret', namespace: secretNamespace, name },
  );
  if (!allowed) {
    return `${field}: Secret ${secretNamespace}/${name} is in another namespace and no ReferenceGrant allows it`;
  }
  const secret = view.get('Secret', secretNamespace, name);
  if (secret === undefined) return `${field}: Secret ${secretNamespace}/${name} not found`;
  const encoded = secret.data?.[CREDENTIAL_KEY];
  const credential =
    typeof encoded === 'string'
      ? Buffer.from(encoded, 'base64').toString('utf8')
      : secret.stringData?.[CREDENTIAL_KEY];
  if (typeof credential !== 'string' || credential === '') {
    return `${field}: Secret ${secretNamespace}/${name} has no ${CREDENTIAL_KEY}`;
  }
  if (/[\r\n\0]/.test(credential)) {
    return `${field}: the credential in Secret ${secretNamespace}/${name} has a CR, LF or NUL (not a header value)`;
  }
  const header = typeof spec.header === 'string' && spec.header !== '' ? spec.header : 'Authorization';
  return {
    secret: resourceKey(CORE_GROUP, 'Secret', secretNamespace, name),
    credential,
    header,
    overwrite: spec.overwrite === true,
  };
}

function substitution(
  value: unknown,
  field: string,
  substitutionRequired: boolean,
): RegexSubstitution | string {
  const { pattern, substitution: replacement } = (value ?? {}) as {
    pattern?: unknown;
    substitution?: unknown;
  };
  if (typeof pattern !== 'string' || pattern === '') return `${field}.pattern: required`;
  const problem = re2Problem(pattern);
  if (problem !== undefined) return `${field}.pattern: ${problem}`;
  if (typeof replacement !== 'string' || (substitutionRequired && replacement === '')) {
    return `${field}.substitution: required`;
  }
  if (/[\r\n\0]/.test(replacement)) return `${field}.substitution: must not contain CR, LF or NUL`;
  return { pattern, substitution: replacement };
}

/** Why Envoy's RE2 would refuse a pattern (checked here so a bad filter is named, not NACKed): RE2's own words. */
export function re2Problem(pattern: string): string | undefined {
  const error = re2Error(pattern);
  return error === undefined ? undefined : `invalid regular expression: ${error}`;
}

function fail(message: string): HTTPRouteFilterResolution {
  return { ok: false, message };
}

/**
 * An HTTPRoute rule's filters with each ExtensionRef to an HTTPRouteFilter resolved (ExtensionRefFilterIR), and
 * the first reason the rule cannot be served as written: the rule then answers 500.
 */
export function resolveRuleFilters(
  filters: readonly unknown[],
  namespace: string,
  view: ResourceView,
  field: string,
): { readonly filters: readonly unknown[]; readonly problem?: string } {
  if (!filters.some((f) => (f as HTTPRouteFilter | undefined)?.type === 'ExtensionRef')) return { filters };
  let problem: string | undefined;
  const resolved = filters.map((raw, i) => {
    const filter = raw as HTTPRouteFilter | undefined;
    if (filter?.type !== 'ExtensionRef' || !isHTTPRouteFilterRef(filter.extensionRef)) return raw;
    const ref = filter.extensionRef as LocalObjectReference;
    const result = resolveHTTPRouteFilter(view, namespace, String(ref.name));
    const entry: ExtensionRefFilterIR = {
      type: 'ExtensionRef',
      extensionRef: { group: ref.group, kind: ref.kind, name: String(ref.name) },
      ...(result.ok ? { httpRouteFilter: result.filter } : { problem: `${field}[${i}]: ${result.message}` }),
    };
    problem ??= entry.problem;
    return entry;
  });
  const clash = problem === undefined ? conflict(resolved, field) : undefined;
  if (clash !== undefined) {
    // The rule answers 500: its first HTTPRouteFilter carries why (that is where the data plane looks).
    const first = resolved.findIndex((f) => (f as ExtensionRefFilterIR)?.type === 'ExtensionRef');
    const { httpRouteFilter: _dropped, ...entry } = resolved[first] as ExtensionRefFilterIR;
    resolved[first] = { ...entry, problem: clash };
    problem = clash;
  }
  return { filters: resolved, ...(problem === undefined ? {} : { problem }) };
}

/**
 * A backendRef's filters with each HTTPRouteFilter resolved, and the first reason the rule cannot be served as
 * written (it then answers 500). As in Envoy Gateway, an HTTPRouteFilter on a backendRef applies its credential
 * injection to that backend's requests; Envoy Gateway drops its other fields there, Switchyard names them.
 */
export function resolveBackendRefFilters(
  filters: readonly unknown[],
  namespace: string,
  view: ResourceView,
  field: string,
): { readonly filters: readonly unknown[]; readonly problem?: string } {
  const resolved = resolveRuleFilters(filters, namespace, view, field);
  if (resolved.problem !== undefined) return resolved;
  let problem: string | undefined;
  const out = resolved.filters.map((raw, i) => {
    const entry = raw as ExtensionRefFilterIR;
    const spec = entry?.type === 'ExtensionRef' ? entry.httpRouteFilter : undefined;
    if (spec === undefined || problem !== undefined) return raw;
    const ignored = [
      spec.directResponse === undefined ? undefined : 'spec.directResponse',
      spec.pathRegexRewrite === undefined && spec.hostRewrite === undefined ? undefined : 'spec.urlRewrite',
    ].filter((f) => f !== undefined);
    if (ignored.length === 0) return raw;
    problem = `${field}[${i}]: HTTPRouteFilter ${namespace}/${entry.extensionRef.name}: ${ignored.join(' and ')} cannot apply to one backend (only spec.credentialInjection does); put the filter on the rule`;
    const { httpRouteFilter: _dropped, ...rest } = entry;
    return { ...rest, problem };
  });
  return { filters: out, ...(problem === undefined ? {} : { problem }) };
}

/** Envoy Gateway's conflicts between a rule's filters that an HTTPRouteFilter brings. */
function conflict(filters: readonly unknown[], field: string): string | undefined {
  const extensions = filters
    .filter((f): f is ExtensionRefFilterIR => (f as ExtensionRefFilterIR)?.httpRouteFilter !== undefined)
    .map((f) => f.httpRouteFilter as HTTPRouteFilterIR);
  const core = filters.find((f) => (f as HTTPRouteFilter)?.type === 'URLRewrite') as
    | HTTPRouteFilter
    | undefined;
  const paths =
    extensions.filter((e) => e.pathRegexRewrite !== undefined).length + (core?.urlRewrite?.path ? 1 : 0);
  const hosts =
    extensions.filter((e) => e.hostRewrite !== undefined).length + (core?.urlRewrite?.hostname ? 1 : 0);
  if (paths > 1 || hosts > 1) {
    return `${field}: cannot configure multiple urlRewrite filters for a single HTTPRouteRule`;
  }
  if (extensions.filter((e) => e.directResponse !== undefined).length > 1) {
    return `${field}: more than one HTTPRouteFilter with a directResponse`;
  }
  const mirrors = filters.some((f) => (f as HTTPRouteFilter)?.type === 'RequestMirror');
  if (mirrors && extensions.some((e) => e.directResponse !== undefined)) {
    return `${field}: a RequestMirror filter cannot be combined with a direct response`;
  }
  return undefined;
}

/**
 * What a route's HTTPRouteFilters read: the filters, the ConfigMaps their bodies come from, the Secrets of their
 * credentials (and another namespace's ReferenceGrants).
 */
export function httpRouteFilterDependencies(filter: EnvoyHTTPRouteFilter): ResourceKey[] {
  const namespace = filter.metadata?.namespace ?? '';
  const out: ResourceKey[] = [];
  const ref = filter.spec?.directResponse?.body?.valueRef;
  if (ref?.kind === 'ConfigMap' && typeof ref.name === 'string') {
    out.push(resourceKey(CORE_GROUP, 'ConfigMap', namespace, ref.name));
  }
  const secret = filter.spec?.credentialInjection?.credential?.valueRef;
  if (typeof secret?.name === 'string') {
    const target =
      typeof secret.namespace === 'string' && secret.namespace !== '' ? secret.namespace : namespace;
    out.push(resourceKey(CORE_GROUP, 'Secret', target, secret.name));
    if (target !== namespace) out.push(resourceKey(GATEWAY_GROUP, 'ReferenceGrant', target, ANY_NAME));
  }
  return out;
}
