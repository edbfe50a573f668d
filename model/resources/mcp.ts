// Envoy AI Gateway's MCPRoute (aigateway.envoyproxy.io): one MCP endpoint on a Gateway in front of several MCP
// servers. Shapes of v1beta1 (v1alpha1 has the same schema).

import type { AIGatewayStatus } from './ai-gateway.ts';
import type {
  BackendObjectReference,
  HTTPValueMatch,
  LocalObjectReference,
  ParentReference,
  SecretObjectReference,
} from './gateway-api.ts';
import type { ObjectMeta } from './kubernetes.ts';

export interface MCPToolFilter {
  include?: string[];
  includeRegex?: string[];
  exclude?: string[];
  excludeRegex?: string[];
}

export interface MCPBackendAPIKey {
  /** A Secret whose key `apiKey` holds the key. */
  secretRef?: SecretObjectReference;
  inline?: string;
  /** Default `Authorization` (sent as `Bearer <key>`). */
  header?: string;
  queryParam?: string;
}

export interface MCPRouteBackendRef extends BackendObjectReference {
  /** The server's MCP path (default /mcp). */
  path?: string;
  toolSelector?: MCPToolFilter;
  securityPolicy?: { apiKey?: MCPBackendAPIKey };
  forwardHeaders?: { name: string; backendHeader?: string }[];
}

/** Envoy Gateway's JWKS sources, as MCPRoute's OAuth uses them. */
export interface MCPRouteJWKS {
  remoteJWKS?: { uri: string; backendRefs?: unknown[] };
  localJWKS?: {
    type?: 'Inline' | 'ValueRef' | (string & {});
    inline?: string;
    valueRef?: LocalObjectReference;
  };
}

export interface ProtectedResourceMetadata {
  resource: string;
  resourceName?: string;
  scopesSupported?: string[];
  resourceSigningAlgValuesSupported?: string[];
  resourceDocumentation?: string;
  resourcePolicyUri?: string;
}

export interface MCPRouteOAuth {
  issuer: string;
  audiences?: string[];
  jwks?: MCPRouteJWKS;
  protectedResourceMetadata: ProtectedResourceMetadata;
  claimToHeaders?: unknown[];
}

export interface MCPRouteSecurityPolicy {
  oauth?: MCPRouteOAuth;
  apiKeyAuth?: unknown;
  extAuth?: unknown;
  authorization?: unknown;
}

export interface MCPRouteSpec {
  parentRefs?: ParentReference[];
  /** The MCP endpoint path on the Gateway (default /mcp). */
  path?: string;
  headers?: HTTPValueMatch[];
  hostnames?: string[];
  backendRefs?: MCPRouteBackendRef[];
  securityPolicy?: MCPRouteSecurityPolicy;
  backendSelector?: unknown;
}

export interface MCPRoute {
  apiVersion: string;
  kind: 'MCPRoute';
  metadata: ObjectMeta;
  spec: MCPRouteSpec;
  status?: AIGatewayStatus;
}
