// An MCPRoute is evaluated as the HTTPRoute Envoy AI Gateway generates for it: same name, parents and hostnames,
// one rule matching the route's path exactly (and its `headers`) that sets the route header and goes to the MCP
// proxy, and — with OAuth — one for the protected resource metadata path. The ordinary `evaluateRoute` then gives
// attachment and attachedRoutes; what this adds is the route's status and its part of the proxy's configuration:
// the backends (resolved to their ready endpoints), their tool selectors and credentials, and the client
// authentication. Whatever the proxy could not enforce is refused, never passed open: a route with a security
// setting we do not support routes nothing, and a backend whose selector or credentials cannot be read is left out.

import { type Problem, stampConditions } from '../ai-gateway/statuses.ts';
import type { ParentLookup } from '../gateway-api/attachment.ts';
import { resolveGatewayClassParameters } from '../gateway-api/gateway-class.ts';
import { generatedHTTPRoute } from '../gateway-api/generated-route.ts';
import { valueMatchesProblem } from '../gateway-api/route-rules.ts';
import { evaluateRoute, type RouteEvaluation } from '../gateway-api/route-status.ts';
import type {
  McpAuthenticationDocument,
  McpBackendDocument,
  McpRouteDocument,
  McpRouteIR,
} from '../ir/mcp.ts';
import type { AIGatewayStatus } from '../resources/ai-gateway.ts';
import type { HTTPRoute, HTTPRouteRule, HTTPValueMatch, ParentReference } from '../resources/gateway-api.ts';
import type { MCPRoute, MCPRouteBackendRef, MCPRouteOAuth, MCPRouteSpec } from '../resources/mcp.ts';
import { GATEWAY_GROUP, keyOf, type ResourceKey } from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { backendDocument, DEFAULT_MCP_PATH, dataValue } from './backend-documents.ts';
import { MCP_ROUTE_HEADER, mcpRouteName } from './proxy-config.ts';
import { mcpRouteConditions } from './statuses.ts';

/** Name of the rule serving the protected resource metadata (RFC 9728) of a route with OAuth. */
export const METADATA_RULE = 'oauth-protected-resource-metadata';
const WELL_KNOWN = '/.well-known/oauth-protected-resource';

export interface MCPOptions {
  readonly controllerName: string;
  readonly now: string;
  /** The data planes run on this host (standalone mode): Backends may name loopback addresses (policies/backend.ts). */
  readonly hostDataPlane?: boolean;
  readonly parents?: ParentLookup;
}

export interface MCPRouteEvaluation {
  /** The route as the data planes route it: the HTTPRoute evaluation, keyed by the MCPRoute, with `mcp` set. */
  readonly evaluation: RouteEvaluation;
  readonly status: AIGatewayStatus;
  /** Whether any parent is a Gateway of ours (otherwise the route is another controller's: no status). */
  readonly ours: boolean;
  /** Its part of the proxy's configuration; undefined when the route is not accepted. */
  readonly config: McpRouteDocument | undefined;
}

/** One MCPRoute: its HTTPRoute-equivalent evaluation, its status and its proxy configuration. */
export function evaluateMCPRoute(
  route: MCPRoute,
  view: ResourceView,
  options: MCPOptions,
): MCPRouteEvaluation {
  const key = keyOf(route);
  const namespace = key.namespace ?? '';
  const spec: Partial<MCPRouteSpec> = route.spec ?? {};
  const path = typeof spec.path === 'string' && spec.path !== '' ? spec.path : DEFAULT_MCP_PATH;
  const auth =
    spec.securityPolicy?.oauth === undefined
      ? undefined
      : oauthDocument(spec.securityPolicy.oauth, namespace, view);
  const routeProblem =
    routeLevelProblem(spec, path) ?? (auth !== undefined && 'reason' in auth ? auth : undefined);
  const backends: McpBackendDocument[] = [];
  const leftOut: Problem[] = [];
  let refProblem: Problem | undefined;
  asArray<MCPRouteBackendRef>(spec.backendRefs).forEach((ref, i) => {
    const result = backendDocument(
      ref,
      `spec.backendRefs[${i}]`,
      namespace,
      view,
      options.hostDataPlane === true,
    );
    if ('url' in result) backends.push(result);
    else {
      leftOut.push(result.problem);
      if (result.unresolved) refProblem ??= result.problem;
    }
  });
  const serving = routeProblem === undefined && backends.length > 0;
  const http = evaluateRoute(
    asHTTPRoute(route, key, spec, serving ? mcpRules(spec, path, key, auth !== undefined) : []),
    view,
    {
      controllerName: options.controllerName,
      now: options.now,
      ...(options.parents === undefined ? {} : { parents: options.parents }),
    },
  );
  const authentication = auth === undefined || 'reason' in auth ? undefined : auth;
  const agentgateway = authentication === undefined ? undefined : agentgatewayGap(authentication);
  const parents = acceptedParents(http);
  const onAgentgateway = agentgatewayParents(parents, view);
  const desired = mcpRouteConditions(http, {
    routeProblem,
    refProblem,
    leftOut,
    backends: backends.map((b) => b.name),
    dataPlaneGaps:
      agentgateway === undefined
        ? []
        : onAgentgateway.map((gateway) => ({ gateway, dataPlane: 'agentgateway', message: agentgateway })),
    acceptedParents: parents.length,
  });
  const accepted = desired.some((condition) => condition.type === 'Accepted');
  const document: McpRouteDocument = {
    name: mcpRouteName(namespace, key.name),
    path,
    backends: serving ? backends : [],
    ...(authentication === undefined ? {} : { authentication }),
  };
  const mcp: McpRouteIR =
    agentgateway === undefined ? document : { ...document, unsupported: { agentgateway } };
  return {
    evaluation: { ...http, route: key, mcp },
    status: {
      conditions: stampConditions(route.status?.conditions, desired, route.metadata?.generation, options.now),
    },
    ours: http.parents.length > 0,
    // The MCP proxy serves Envoy's Gateways only: a route no Envoy Gateway accepts (nor its keys) is not sent to it.
    config: accepted && serving && parents.length > onAgentgateway.length ? document : undefined,
  };
}

/**
 * What agentgateway cannot serve of a route it could otherwise: its MCP authentication validates tokens against
 * inline keys only (no JWKS URI, no discovery from the issuer).
 */
function agentgatewayGap(auth: McpAuthenticationDocument): string | undefined {
  const jwks = auth.jwt.jwks;
  if (jwks !== undefined && 'json' in jwks) return undefined;
  return jwks === undefined
    ? 'spec.securityPolicy.oauth.jwks: agentgateway cannot discover keys from the issuer; give localJWKS'
    : 'spec.securityPolicy.oauth.jwks.remoteJWKS: agentgateway validates tokens against inline keys only; give localJWKS';
}

/** The Gateways (`namespace/name`) that accept the route. */
function acceptedParents(http: RouteEvaluation): string[] {
  const names = http.parents
    .filter((parent) => parent.accepted)
    .map((parent) => `${parent.gateway.namespace ?? ''}/${parent.gateway.name}`);
  return [...new Set(names)];
}

/** Those of them whose class runs agentgateway. */
function agentgatewayParents(parents: readonly string[], view: ResourceView): string[] {
  return parents.filter((name) => {
    const [namespace, gatewayName] = name.split('/') as [string, string];
    const gateway = view.get('Gateway', namespace, gatewayName);
    const gatewayClass = view.get('GatewayClass', undefined, String(gateway?.spec?.gatewayClassName ?? ''));
    if (gatewayClass === undefined) return false;
    const parameters = resolveGatewayClassParameters(gatewayClass, view);
    return parameters.ok && parameters.parameters.backend === 'agentgateway';
  });
}

/** What makes the whole route unusable: each names its field. */
function routeLevelProblem(spec: Partial<MCPRouteSpec>, path: string): Problem | undefined {
  const unsupported = (field: string, why: string): Problem => ({
    reason: 'UnsupportedValue',
    message: `${field}: ${why}`,
  });
  if (!path.startsWith('/')) return unsupported('spec.path', `'${path}' must start with '/'`);
  const parents = asArray<ParentReference>(spec.parentRefs);
  if (parents.length === 0) return unsupported('spec.parentRefs', 'needs at least one Gateway');
  const notGateway = parents.findIndex(
    (ref) => (ref?.kind ?? 'Gateway') !== 'Gateway' || (ref?.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP,
  );
  if (notGateway >= 0) return unsupported(`spec.parentRefs[${notGateway}]`, 'only Gateway is supported');
  // They become the generated route's header matches: Envoy would refuse the whole route configuration for a regex
  // RE2 does not take.
  const headerProblem = valueMatchesProblem(spec.headers, 'spec.headers');
  if (headerProblem !== undefined) return headerProblem;
  const refs = asArray<MCPRouteBackendRef>(spec.backendRefs);
  if (refs.length === 0) return unsupported('spec.backendRefs', 'needs at least one MCP server');
  const names = refs.map((ref) => ref?.name);
  const twice = names.findIndex((name, i) => names.indexOf(name) !== i);
  if (twice >= 0)
    return unsupported(`spec.backendRefs[${twice}].name`, `'${String(names[twice])}' is used twice`);
  const forwarding = refs.findIndex((ref) => asArray(ref?.forwardHeaders).length > 0);
  if (forwarding >= 0)
    return unsupported(`spec.backendRefs[${forwarding}].forwardHeaders`, 'is not supported');
  // Security settings the proxy cannot enforce: the route must not serve rather than serve unprotected.
  const policy = spec.securityPolicy ?? {};
  for (const field of ['apiKeyAuth', 'extAuth', 'authorization'] as const)
    if (policy[field] !== undefined)
      return unsupported(`spec.securityPolicy.${field}`, 'is not supported; the route is not served');
  if (spec.backendSelector !== undefined)
    return unsupported('spec.backendSelector', 'is not supported; the route is not served');
  if (asArray(policy.oauth?.claimToHeaders).length > 0)
    return unsupported(
      'spec.securityPolicy.oauth.claimToHeaders',
      'is not supported; the route is not served',
    );
  return undefined;
}

/** The HTTPRoute rules: the MCP endpoint (and the metadata path with OAuth), both to the proxy, naming the route. */
function mcpRules(
  spec: Partial<MCPRouteSpec>,
  path: string,
  key: ResourceKey,
  oauth: boolean,
): HTTPRouteRule[] {
  const naming = [
    {
      type: 'RequestHeaderModifier',
      requestHeaderModifier: {
        set: [{ name: MCP_ROUTE_HEADER, value: mcpRouteName(key.namespace ?? '', key.name) }],
      },
    },
  ];
  // Streams (the standalone GET stream, long tool calls) last as long as their session.
  const timeouts = { request: '0s' };
  const rules: HTTPRouteRule[] = [
    {
      name: 'mcp',
      matches: [
        {
          path: { type: 'Exact', value: path },
          ...(asArray(spec.headers).length > 0 ? { headers: asArray<HTTPValueMatch>(spec.headers) } : {}),
        },
      ],
      filters: naming,
      backendRefs: [],
      timeouts,
    },
  ];
  if (oauth)
    rules.push({
      name: METADATA_RULE,
      matches: [
        { path: { type: 'Exact', value: `${WELL_KNOWN}${path === '/' ? '' : path.replace(/\/$/, '')}` } },
      ],
      filters: naming,
      backendRefs: [],
    });
  return rules;
}

/** `securityPolicy.oauth`: the issuer, audiences, keys and the protected resource metadata. */
function oauthDocument(
  oauth: MCPRouteOAuth,
  namespace: string,
  view: ResourceView,
): McpAuthenticationDocument | Problem {
  const field = 'spec.securityPolicy.oauth';
  const problem = (reason: string, message: string): Problem => ({ reason, message: `${field}${message}` });
  if (typeof oauth.issuer !== 'string' || !isUrl(oauth.issuer))
    return problem('UnsupportedValue', '.issuer: must be a URL');
  const metadata = oauth.protectedResourceMetadata;
  if (typeof metadata?.resource !== 'string' || !isUrl(metadata.resource))
    return problem(
      'UnsupportedValue',
      ".protectedResourceMetadata.resource: must be a URL (the route's URL)",
    );
  const audiences = asArray<unknown>(oauth.audiences).filter(
    (a): a is string => typeof a === 'string' && a !== '',
  );
  let jwks: McpAuthenticationDocument['jwt']['jwks'];
  const { remoteJWKS, localJWKS } = oauth.jwks ?? {};
  if (remoteJWKS !== undefined && localJWKS !== undefined)
    return problem('UnsupportedValue', '.jwks: set remoteJWKS or localJWKS, not both');
  if (remoteJWKS !== undefined) {
    if (typeof remoteJWKS.uri !== 'string' || !isUrl(remoteJWKS.uri))
      return problem('UnsupportedValue', '.jwks.remoteJWKS.uri: must be a URL');
    if (asArray(remoteJWKS.backendRefs).length > 0)
      return problem(
        'UnsupportedValue',
        '.jwks.remoteJWKS.backendRefs: not supported (the proxy fetches the URI itself)',
      );
    jwks = { uri: remoteJWKS.uri };
  } else if (localJWKS !== undefined) {
    const text =
      (localJWKS.type ?? 'Inline') === 'Inline'
        ? localJWKS.inline
        : dataValue(view.get('ConfigMap', namespace, String(localJWKS.valueRef?.name ?? '')), 'jwks', false);
    if (typeof text !== 'string')
      return problem(
        (localJWKS.type ?? 'Inline') === 'Inline' ? 'UnsupportedValue' : 'ConfigMapNotFound',
        (localJWKS.type ?? 'Inline') === 'Inline'
          ? '.jwks.localJWKS.inline: required for type Inline'
          : `.jwks.localJWKS.valueRef: ConfigMap ${namespace}/${String(localJWKS.valueRef?.name)} with a JWKS not found`,
      );
    const keys = parseJwks(text);
    if (keys !== undefined) return problem('UnsupportedValue', `.jwks.localJWKS: ${keys}`);
    jwks = { json: text };
  }
  const strings = (value: unknown) => {
    const list = asArray<unknown>(value).filter((v): v is string => typeof v === 'string');
    return list.length > 0 ? list : undefined;
  };
  const optional = (name: string, value: unknown) =>
    typeof value === 'string' && value !== '' ? { [name]: value } : {};
  const scopes = strings(metadata.scopesSupported);
  const algs = strings(metadata.resourceSigningAlgValuesSupported);
  return {
    jwt: { issuer: oauth.issuer, audiences, ...(jwks === undefined ? {} : { jwks }) },
    resourceMetadata: {
      resource: metadata.resource,
      ...optional('resourceName', metadata.resourceName),
      ...(scopes === undefined ? {} : { scopesSupported: scopes }),
      ...(algs === undefined ? {} : { resourceSigningAlgValuesSupported: algs }),
      ...optional('resourceDocumentation', metadata.resourceDocumentation),
      ...optional('resourcePolicyUri', metadata.resourcePolicyUri),
    },
  };
}

/** Why a JWKS text is not a key set, or undefined. */
function parseJwks(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { keys?: unknown };
    return Array.isArray(parsed?.keys) ? undefined : 'is not a JSON Web Key Set ({"keys": [...]})';
  } catch (error) {
    return `is not JSON: ${(error as Error).message}`;
  }
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** The HTTPRoute Envoy AI Gateway would generate: same name, namespace, parents and hostnames. */
function asHTTPRoute(
  route: MCPRoute,
  key: ResourceKey,
  spec: Partial<MCPRouteSpec>,
  rules: HTTPRouteRule[],
): HTTPRoute {
  const parents = asArray<ParentReference>(spec.parentRefs).filter((ref) => typeof ref?.name === 'string');
  return generatedHTTPRoute(route.metadata, key, parents, spec.hostnames, rules);
}
