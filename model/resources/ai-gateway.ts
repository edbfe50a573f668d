// Envoy AI Gateway's kinds (aigateway.envoyproxy.io): AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy,
// GatewayConfig and QuotaPolicy. Shapes of v1beta1 (QuotaPolicy: v1alpha1), plus the v1alpha1 fields older
// manifests use.

import type {
  BackendObjectReference,
  HTTPValueMatch,
  ParentReference,
  SecretObjectReference,
} from './gateway-api.ts';
import type { Condition, ObjectMeta } from './kubernetes.ts';

export const AI_GATEWAY_GROUP = 'aigateway.envoyproxy.io';
export const AI_GATEWAY_KINDS = [
  'AIGatewayRoute',
  'AIServiceBackend',
  'BackendSecurityPolicy',
  'GatewayConfig',
  'QuotaPolicy',
] as const;
/** The Gateway annotation naming its GatewayConfig (same namespace). */
export const GATEWAY_CONFIG_ANNOTATION = 'aigateway.envoyproxy.io/gateway-config';
export type AIGatewayKind = (typeof AI_GATEWAY_KINDS)[number];

export function isAIGatewayKind(kind: unknown): kind is AIGatewayKind {
  return typeof kind === 'string' && (AI_GATEWAY_KINDS as readonly string[]).includes(kind);
}

export interface VersionedAPISchema {
  name: string;
  version?: string;
  /** OpenAI and Anthropic: the path before the operation (default `v1`). */
  prefix?: string;
}

/** Header mutation of a backend: set (overwrite or add) and remove, before the request leaves. */
export interface HTTPHeaderMutation {
  set?: { name: string; value: string }[];
  remove?: string[];
}

/** Body mutation of a backend: top-level JSON fields set (values are JSON text) and removed. */
export interface HTTPBodyMutation {
  set?: { path: string; value: string }[];
  remove?: string[];
}

/** The `llmRequestCosts[].type` values (Envoy AI Gateway's, as the ext_proc service computes them). */
export const LLM_REQUEST_COST_TYPES = [
  'InputToken',
  'CachedInputToken',
  'CacheCreationInputToken',
  'OutputToken',
  'ReasoningToken',
  'TotalToken',
  'CEL',
] as const;
export type LLMRequestCostType = (typeof LLM_REQUEST_COST_TYPES)[number];

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
  headerMutation?: HTTPHeaderMutation;
  bodyMutation?: HTTPBodyMutation;
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
  headerMutation?: HTTPHeaderMutation;
  bodyMutation?: HTTPBodyMutation;
}

/** Per-request credentials (exactly one source); fallbackToConfigured defaults to true. */
export interface CredentialOverride {
  fromRequestHeaders?: { header?: string; fallbackToConfigured?: boolean };
  fromDynamicMetadata?: { namespace: string; key?: string; fallbackToConfigured?: boolean };
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
    /** Envoy AI Gateway's AWSOIDCExchangeToken: the OIDC client fields and `awsRoleArn`. */
    oidcExchangeToken?: Record<string, unknown>;
  };
  gcpCredentials?: Record<string, unknown>;
  azureCredentials?: Record<string, unknown>;
  credentialOverride?: CredentialOverride;
}

export interface GatewayConfigSpec {
  /** The ext_proc container of Envoy AI Gateway's Gateway pods. */
  extProc?: { kubernetes?: Record<string, unknown> };
  globalLLMRequestCosts?: LLMRequestCost[];
  forwardProxy?: { address: string };
}

/** A limit per time window: `duration` one of 1s, 1m, 1h, 1d. */
export interface QuotaValue {
  limit?: number;
  duration?: string;
}

/** Token quotas per AIServiceBackend (v1alpha1), burnt down by each response's cost (`total_tokens` by default). */
export interface QuotaPolicySpec {
  targetRefs?: { group?: string; kind?: string; name: string }[];
  /** Every model of the backends. */
  serviceQuota?: { costExpression?: string; quota?: QuotaValue };
  /** A model: the `modelNameOverride` a backendRef to the backend sets. */
  perModelQuotas?: {
    modelName?: string;
    quota?: {
      costExpression?: string;
      mode?: string;
      defaultBucket?: QuotaValue;
      bucketRules?: { clientSelectors?: unknown[]; quota?: QuotaValue; shadowMode?: boolean }[];
    };
  }[];
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
export type GatewayConfig = AIObject<'GatewayConfig', GatewayConfigSpec>;
export type QuotaPolicy = AIObject<'QuotaPolicy', QuotaPolicySpec>;
