// MCPRoutes served natively (RouteIR with `mcp`): agentgateway is an MCP gateway itself, so an MCPRoute becomes
// one of its MCP backends instead of a route to `switchyard mcp`. Each rule of the route (the MCP endpoint and,
// with OAuth, the protected resource metadata path) is a Route to the MCP Backend `mcp/<ns>/<name>`, which lists
// one target per MCP server; each target is a static Backend `mcp/<ns>/<name>/<server>` carrying that server's
// credentials (`auth` key: only it sends them) and TLS. Tool selectors become the MCP backend's authorization
// rules (deny rules over `mcp.tool.target` and `mcp.tool.name`, which agentgateway applies to listings and
// calls alike); OAuth becomes its MCP authentication (inline JWKS, resource metadata). See docs/mcp.md.
import type { RouteIR } from '../../model/ir/gateway-ir.ts';
import type {
  McpAuthenticationDocument,
  McpBackendDocument,
  McpRouteIR,
  McpToolSelectorDocument,
} from '../../model/ir/mcp.ts';
import { protectedResourceFields } from '../../model/mcp/proxy-config.ts';
import type { BackendSet } from './backends.ts';
import { routeKey, routeName } from './names.ts';
import { translateHttpMatch } from './route-matches.ts';
import type { Json } from './types.ts';

/** The key of an MCPRoute's MCP Backend. */
export function mcpBackendKey(route: RouteIR): string {
  return `mcp/${route.route.namespace ?? ''}/${route.route.name}`;
}

/** The key of the static Backend of one MCP server of a route. */
export function mcpTargetKey(route: RouteIR, server: string): string {
  return `${mcpBackendKey(route)}/${server}`;
}

/**
 * The Routes of an MCPRoute on one listener, its MCP Backend and targets added to `backends`. A route agentgateway
 * cannot serve as written (its status says why) gets no Route: requests to its path are answered 404.
 */
export function translateMcpRoute(
  route: RouteIR,
  mcp: McpRouteIR,
  listenerKey: string,
  backends: BackendSet,
  problems: string[],
): Json[] {
  const jwks = mcp.authentication?.jwt.jwks;
  const inlineKeys = jwks !== undefined && 'json' in jwks ? jwks.json : undefined;
  const unsupported =
    mcp.unsupported?.agentgateway ??
    (mcp.authentication !== undefined && inlineKeys === undefined
      ? 'spec.securityPolicy.oauth.jwks: agentgateway validates tokens against inline keys only (localJWKS)'
      : undefined);
  if (unsupported !== undefined) {
    problems.push(`MCPRoute ${mcp.name} is not served on agentgateway: ${unsupported}`);
    return [];
  }
  if (route.rules.length === 0) return [];
  const key = mcpBackendKey(route);
  for (const server of mcp.backends) backends.add(targetBackend(route, server));
  backends.add(mcpBackend(route, mcp, inlineKeys));
  return route.rules.map((rule) => ({
    key: routeKey(listenerKey, route, rule.index),
    listenerKey,
    name: routeName(route, rule),
    ...(route.hostnames.length > 0 ? { hostnames: [...route.hostnames] } : {}),
    matches: rule.matches.map(translateHttpMatch),
    backends: [{ backend: { backend: key }, weight: 1 }],
  }));
}

/**
 * The MCP Backend: stateful sessions (the default stateful mode), every name prefixed by its server (`<server>_<tool>`),
 * a server that fails left out of the merged lists rather than failing them.
 */
function mcpBackend(route: RouteIR, mcp: McpRouteIR, inlineKeys: string | undefined): Json {
  const deny = mcp.backends.flatMap((server) =>
    server.toolSelector === undefined ? [] : denyRules(server.name, server.toolSelector),
  );
  const policies: Json[] = [
    ...(deny.length > 0 ? [{ mcpAuthorization: { deny } }] : []),
    ...(mcp.authentication === undefined || inlineKeys === undefined
      ? []
      : [{ mcpAuthentication: authentication(mcp.authentication, inlineKeys) }]),
  ];
  return {
    key: mcpBackendKey(route),
    name: { name: route.route.name, namespace: route.route.namespace ?? '' },
    mcp: {
      targets: mcp.backends.map((server) => ({
        name: server.name,
        backend: { backend: mcpTargetKey(route, server.name) },
        path: new URL(server.url).pathname,
        protocol: 'STREAMABLE_HTTP',
      })),
      prefixMode: 'ALWAYS',
      failureMode: 'FAIL_OPEN',
    },
    ...(policies.length > 0 ? { inlinePolicies: policies } : {}),
  };
}

/**
 * One MCP server as a static Backend: the first ready endpoint (a session lives on one server), or the URL's host
 * when the Service is an ExternalName or has no ready endpoint; its API key and TLS as inline policies.
 */
function targetBackend(route: RouteIR, server: McpBackendDocument): Json {
  const url = new URL(server.url);
  const secure = url.protocol === 'https:';
  const endpoint = server.endpoints?.[0];
  const host = endpoint === undefined ? url.hostname.replace(/^\[|\]$/g, '') : hostOf(endpoint);
  const port =
    endpoint === undefined
      ? Number(url.port || (secure ? 443 : 80))
      : Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  const policies: Json[] = [
    ...(server.apiKey === undefined ? [] : [{ auth: { key: apiKey(server.apiKey) } }]),
    ...(secure ? [{ backendTls: { hostname: url.hostname } }] : []),
  ];
  return {
    key: mcpTargetKey(route, server.name),
    name: { name: server.name, namespace: route.route.namespace ?? '' },
    static: { host, port },
    ...(policies.length > 0 ? { inlinePolicies: policies } : {}),
  };
}

function hostOf(endpoint: string): string {
  const host = endpoint.slice(0, endpoint.lastIndexOf(':'));
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

/** The key where the server expects it: `Authorization: Bearer <key>` by default, else the header or query parameter as is. */
function apiKey(key: NonNullable<McpBackendDocument['apiKey']>): Json {
  const location =
    key.queryParam !== undefined
      ? { queryParameter: { name: key.queryParam } }
      : key.header !== undefined && key.header.toLowerCase() !== 'authorization'
        ? { header: { name: key.header } }
        : { header: { name: 'Authorization', prefix: 'Bearer ' } };
  return { secret: key.key, authorizationLocation: location };
}

/**
 * A tool selector as deny rules on the server's tools: names outside the include list (or matching no include
 * expression), names in the exclude list (or matching an exclude expression). Prompts and resources have no
 * `mcp.tool`, so the rules never deny them. CEL `matches` is RE2 and unanchored, as Envoy AI Gateway's selector.
 */
export function denyRules(server: string, selector: McpToolSelectorDocument): string[] {
  const target = `mcp.tool.target == ${celString(server)}`;
  const names = (list: string[]) => `mcp.tool.name in [${list.map(celString).join(', ')}]`;
  const matching = (list: string[]) =>
    list.map((expression) => `mcp.tool.name.matches(${celString(expression)})`).join(' || ');
  const rules: string[] = [];
  if (selector.include !== undefined) rules.push(`${target} && !(${names(selector.include)})`);
  if (selector.includeRegex !== undefined) rules.push(`${target} && !(${matching(selector.includeRegex)})`);
  if (selector.exclude !== undefined) rules.push(`${target} && ${names(selector.exclude)}`);
  if (selector.excludeRegex !== undefined) rules.push(`${target} && (${matching(selector.excludeRegex)})`);
  return rules;
}

/** A CEL string literal: JSON's escapes (\" \\ \n \uXXXX …) are CEL's too. */
function celString(text: string): string {
  return JSON.stringify(text);
}

/** OAuth: a valid token required (STRICT), keys inline, the RFC 9728 metadata under its own names. */
function authentication(auth: McpAuthenticationDocument, jwks: string): Json {
  return {
    issuer: auth.jwt.issuer,
    ...(auth.jwt.audiences.length > 0 ? { audiences: auth.jwt.audiences } : {}),
    jwksInline: jwks,
    resourceMetadata: { extra: protectedResourceFields(auth.resourceMetadata) },
    mode: 'STRICT',
  };
}
