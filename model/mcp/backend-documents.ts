// A backendRef of an MCPRoute as the MCP proxy reaches it: the Service or Envoy Gateway Backend resolved to its
// ready endpoints, its tool selector (RE2, as Envoy AI Gateway defines it) and its API key from a Secret; or why it
// is left out. Whatever cannot be read is refused, never passed open.
import type { Problem } from '../ai-gateway/statuses.ts';
import { resolveBackendRef } from '../gateway-api/backend-refs.ts';
import type { EnvoyGatewayBackendIR } from '../ir/envoy-gateway.ts';
import type { McpBackendDocument, McpToolSelectorDocument } from '../ir/mcp.ts';
import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type { MCPBackendAPIKey, MCPRouteBackendRef, MCPToolFilter } from '../resources/mcp.ts';
import { CORE_GROUP } from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import { re2Error } from '../shared/re2.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';

export const DEFAULT_MCP_PATH = '/mcp';

/** Backend names become name prefixes (`<name>__tool`): a Service name, without `__` or `+`. */
const BACKEND_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** One backendRef as the proxy reaches it, or why it is left out (`unresolved`: the reference itself failed). */
export function backendDocument(
  ref: MCPRouteBackendRef,
  field: string,
  namespace: string,
  view: ResourceView,
  hostDataPlane: boolean,
): McpBackendDocument | { problem: Problem; unresolved: boolean } {
  const name = typeof ref?.name === 'string' ? ref.name : '';
  const left = (reason: string, message: string, unresolved = false) => ({
    problem: { reason, message: `${field}: ${message}` },
    unresolved,
  });
  if (!BACKEND_NAME.test(name) || name.includes('__'))
    return left('UnsupportedValue', `name '${name}' must be a Service name (it prefixes tool names)`);
  const group = normalizeGroup(ref.group);
  const kind = ref.kind ?? 'Service';
  const isService = group === CORE_GROUP && kind === 'Service';
  if (!isService && !(group === ENVOY_GATEWAY_GROUP && kind === 'Backend'))
    return left(
      'InvalidKind',
      `${group || 'core'}/${kind} is not supported; reference a Service or a ${ENVOY_GATEWAY_GROUP} Backend`,
      true,
    );
  if (typeof ref.namespace === 'string' && ref.namespace !== '' && ref.namespace !== namespace)
    return left('RefNotPermitted', `the MCP server must be in the route's namespace ${namespace}`, true);
  const resolved = resolveBackendRef(ref, { kind: 'HTTPRoute', namespace, hostDataPlane }, view, field);
  if (!resolved.ok)
    return { problem: { reason: resolved.reason, message: resolved.message }, unresolved: true };
  const backend = resolved.backend;
  const selector = toolSelectorDocument(ref.toolSelector, `${field}.toolSelector`);
  if (selector !== undefined && 'reason' in selector) return { problem: selector, unresolved: false };
  const apiKey =
    ref.securityPolicy?.apiKey === undefined
      ? undefined
      : apiKeyDocument(ref.securityPolicy.apiKey, `${field}.securityPolicy.apiKey`, namespace, view);
  if (apiKey !== undefined && 'reason' in apiKey) return { problem: apiKey, unresolved: false };
  const path = typeof ref.path === 'string' && ref.path !== '' ? ref.path : DEFAULT_MCP_PATH;
  const extras = {
    ...(selector === undefined ? {} : { toolSelector: selector }),
    ...(apiKey === undefined ? {} : { apiKey }),
  };
  if (backend.kind === 'Backend') {
    const reached = envoyGatewayBackendAddress(backend, path);
    return 'problem' in reached ? left('UnsupportedValue', reached.problem) : { name, ...reached, ...extras };
  }
  if (backend.kind !== 'Service')
    return left('InvalidKind', 'only Services and Backends are supported', true);
  if (backend.tls !== undefined && backend.tls.caCertificates !== 'System')
    return left(
      'UnsupportedValue',
      `BackendTLSPolicy ${backend.tls.policy.name} with its own CA is not supported for MCP servers`,
    );
  const host = backend.tls?.hostname ?? backend.externalName ?? `${name}.${namespace}.svc.cluster.local`;
  const secure = backend.tls !== undefined || backend.appProtocol === 'https' || backend.port === 443;
  const defaultPort = secure ? 443 : 80;
  return {
    name,
    url: `${secure ? 'https' : 'http'}://${host}${backend.port === defaultPort ? '' : `:${backend.port}`}${path}`,
    ...(backend.externalName === undefined ? { endpoints: backend.endpoints.map(hostPort) } : {}),
    ...extras,
  };
}

function hostPort(endpoint: { address: string; port: number }): string {
  return `${endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address}:${endpoint.port}`;
}

/**
 * An Envoy Gateway Backend as the proxy reaches it: the URL names the SNI (or the first endpoint's name) and the
 * first endpoint's port, `https` when the Backend has TLS; the endpoints are where to connect. What the proxy
 * cannot do is said: Unix sockets, TLS verified against the Backend's own CA, not verified, or with a client
 * certificate (fail closed: never a server reached with less than the Backend asks).
 */
function envoyGatewayBackendAddress(
  backend: EnvoyGatewayBackendIR,
  path: string,
): Pick<McpBackendDocument, 'url' | 'endpoints'> | { problem: string } {
  const name = `Backend ${backend.backend.namespace ?? ''}/${backend.backend.name}`;
  const endpoints = backend.endpoints.flatMap((e) => ('path' in e ? [] : [e]));
  if (endpoints.length < backend.endpoints.length)
    return { problem: `${name}: Unix socket endpoints are not supported for MCP servers` };
  const first = endpoints[0];
  if (first === undefined) return { problem: `${name} has no endpoint` };
  const tls = backend.tls;
  if (tls !== undefined && tls.verify !== 'System')
    return {
      problem: `${name}: TLS ${tls.verify === 'InsecureSkipVerify' ? 'without verification' : 'verified against its own CA'} is not supported for MCP servers (the system trust store only)`,
    };
  if (tls?.clientCertificate !== undefined)
    return { problem: `${name}: a TLS client certificate is not supported for MCP servers` };
  const host = tls?.sni ?? first.hostname ?? first.address;
  const defaultPort = tls === undefined ? 80 : 443;
  const authority = `${host.includes(':') ? `[${host}]` : host}${first.port === defaultPort ? '' : `:${first.port}`}`;
  const single = endpoints.length === 1 && first.address === host;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${authority}${path}`,
    ...(single ? {} : { endpoints: endpoints.map(hostPort) }),
  };
}

/** `toolSelector`, as Envoy AI Gateway's CRD validates it; expressions must be RE2 (no look-around, no back-references). */
function toolSelectorDocument(
  filter: MCPToolFilter | undefined,
  field: string,
): McpToolSelectorDocument | Problem | undefined {
  if (filter === undefined || filter === null) return undefined;
  const lists = {
    include: asArray<unknown>(filter.include),
    includeRegex: asArray<unknown>(filter.includeRegex),
    exclude: asArray<unknown>(filter.exclude),
    excludeRegex: asArray<unknown>(filter.excludeRegex),
  };
  const problem = (message: string): Problem => ({
    reason: 'UnsupportedValue',
    message: `${field}: ${message}`,
  });
  if (filter.include !== undefined && filter.includeRegex !== undefined)
    return problem('include and includeRegex are mutually exclusive');
  if (filter.exclude !== undefined && filter.excludeRegex !== undefined)
    return problem('exclude and excludeRegex are mutually exclusive');
  if (Object.values(lists).every((list) => list.length === 0))
    return problem('set at least one of include, includeRegex, exclude or excludeRegex');
  for (const [name, list] of Object.entries(lists)) {
    for (const [i, value] of list.entries()) {
      if (typeof value !== 'string' || value === '')
        return problem(`${name}[${i}] must be a non-empty string`);
      if (!name.endsWith('Regex')) continue;
      const why = re2Problem(value);
      if (why !== undefined) return problem(`${name}[${i}] '${value}' ${why}`);
    }
  }
  const document: McpToolSelectorDocument = {};
  for (const [name, list] of Object.entries(lists))
    if (list.length > 0) document[name as keyof McpToolSelectorDocument] = list as string[];
  return document;
}

/**
 * Why an expression is not one RE2 accepts (the syntax Envoy AI Gateway documents; agentgateway's CEL `matches`
 * is RE2 too), or one `switchyard mcp` cannot run (JavaScript's RegExp, which lacks some of RE2's syntax), or
 * undefined. No program-size bound: the expressions never reach Envoy.
 */
function re2Problem(expression: string): string | undefined {
  const error = re2Error(expression, Number.POSITIVE_INFINITY);
  if (error !== undefined) return `is not a regular expression RE2 accepts: ${error}`;
  try {
    new RegExp(expression, 'u');
  } catch (thrown) {
    return `is RE2 but not one the MCP proxy can run: ${(thrown as Error).message}`;
  }
  return undefined;
}

function apiKeyDocument(
  apiKey: MCPBackendAPIKey,
  field: string,
  namespace: string,
  view: ResourceView,
): McpBackendDocument['apiKey'] | Problem {
  const problem = (reason: string, message: string): Problem => ({ reason, message: `${field}${message}` });
  if ((apiKey.secretRef === undefined) === (apiKey.inline === undefined))
    return problem('UnsupportedValue', ': set exactly one of secretRef or inline');
  if (apiKey.header !== undefined && apiKey.queryParam !== undefined)
    return problem('UnsupportedValue', ': set header or queryParam, not both');
  let key: string;
  if (apiKey.inline !== undefined) {
    if (typeof apiKey.inline !== 'string' || apiKey.inline === '')
      return problem('UnsupportedValue', '.inline: must not be empty');
    key = apiKey.inline;
  } else {
    const ref = apiKey.secretRef!;
    if (typeof ref?.name !== 'string') return problem('UnsupportedValue', '.secretRef.name: required');
    if (typeof ref.namespace === 'string' && ref.namespace !== '' && ref.namespace !== namespace)
      return problem('RefNotPermitted', `.secretRef: the Secret must be in namespace ${namespace}`);
    const value = dataValue(view.get('Secret', namespace, ref.name), 'apiKey', true);
    if (value === undefined)
      return problem(
        'SecretNotFound',
        `.secretRef: Secret ${namespace}/${ref.name} with key 'apiKey' not found`,
      );
    key = value;
  }
  return {
    key,
    ...(typeof apiKey.header === 'string' && apiKey.header !== '' ? { header: apiKey.header } : {}),
    ...(typeof apiKey.queryParam === 'string' && apiKey.queryParam !== ''
      ? { queryParam: apiKey.queryParam }
      : {}),
  };
}

/** A key of a Secret (base64 `data` or `stringData`) or ConfigMap (`data`; the first key when `key` is absent). */
export function dataValue(
  object: { data?: Record<string, string>; stringData?: Record<string, string> } | undefined,
  key: string,
  base64: boolean,
): string | undefined {
  if (object === undefined) return undefined;
  const stringData = object.stringData?.[key];
  if (typeof stringData === 'string' && stringData.trim() !== '') return stringData.trim();
  const data = object.data ?? {};
  const raw = typeof data[key] === 'string' ? data[key] : base64 ? undefined : Object.values(data)[0];
  if (typeof raw !== 'string') return undefined;
  const value = base64 ? Buffer.from(raw, 'base64').toString('utf8').trim() : raw.trim();
  return value === '' ? undefined : value;
}
