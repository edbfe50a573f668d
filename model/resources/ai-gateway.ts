// Envoy AI Gateway's kinds (aigateway.envoyproxy.io): AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy.
// Shapes of v1beta1, plus the v1alpha1 fields older manifests use.

import type {
  BackendObjectReference,
  HTTPValueMatch,
  ParentReference,
  SecretObjectReference,
} from './gateway-api.ts';
import type { Condition, ObjectMeta } from './kubernetes.ts';

export const AI_GATEWAY_GROUP = 'aigateway.envoyproxy.io';
export const AI_GATEWAY_KINDS = ['AIGatewayRoute', 'AIServiceBackend', 'BackendSecurityPolicy'] as const;
export type AIGatewayKind = (typeof AI_GATEWAY_KINDS)[number];

export function isAIGatewayKind(kind: unknown): kind is AIGatewayKind {
  return typeof kind === 'string' && (AI_GATEWAY_KINDS as readonly string[]).includes(kind);
}

export interface VersionedAPISchema {
  name: string;
  version?: string;
}

export interface LLMRequestCost {
  metadataKey: string;
  type: string;
  cel?: string;
}

export interface AIGatewayRouteRuleBackendRef {
  name: string;
  namespace?: string;
  group?: string;
  kind?: string;
  modelNameOverride?: string;
  weight?: number;
  priority?: number;
}

export interface AIGatewayRouteRule {
  backendRefs?: AIGatewayRouteRuleBackendRef[];
  matches?: { headers?: HTTPValueMatch[] }[];
  timeouts?: { request?: string; backendRequest?: string };
  modelsOwnedBy?: string;
  modelsCreatedAt?: string;
}

export interface AIGatewayRouteSpec {
  parentRefs?: ParentReference[];
  /** v1alpha1: the Gateways the route attaches to. */
  targetRefs?: { group?: string; kind?: string; name: string; sectionName?: string }[];
  hostnames?: string[];
  /** v1alpha1: the client-facing schema (only OpenAI). */
  schema?: VersionedAPISchema;
  rules?: AIGatewayRouteRule[];
  llmRequestCosts?: LLMRequestCost[];
}

export interface AIServiceBackendSpec {
  schema: VersionedAPISchema;
  backendRef: BackendObjectReference;
  /** v1alpha1: the policy by name (newer policies name their targets instead). */
  backendSecurityPolicyRef?: { group?: string; kind?: string; name: string };
}

export interface BackendSecurityPolicySpec {
  targetRefs?: { group?: string; kind?: string; name: string }[];
  type: string;
  apiKey?: { secretRef?: SecretObjectReference };
  azureAPIKey?: { secretRef?: SecretObjectReference };
  anthropicAPIKey?: { secretRef?: SecretObjectReference };
  awsCredentials?: {
    region?: string;
    credentialsFile?: { secretRef?: SecretObjectReference; profile?: string };
  };
  gcpCredentials?: Record<string, unknown>;
  azureCredentials?: Record<string, unknown>;
}

export interface AIGatewayStatus {
  conditions?: Condition[];
}

interface AIObject<Kind extends string, Spec> {
  apiVersion: string;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: AIGatewayStatus;
}

export type AIGatewayRoute = AIObject<'AIGatewayRoute', AIGatewayRouteSpec>;
export type AIServiceBackend = AIObject<'AIServiceBackend', AIServiceBackendSpec>;
export type BackendSecurityPolicy = AIObject<'BackendSecurityPolicy', BackendSecurityPolicySpec>;
