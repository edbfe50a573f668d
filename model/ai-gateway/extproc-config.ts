// The ext_proc configuration document (dataplane/extproc/config.ts reads it; see docs/extproc.md) and the names
// Envoy and the ext_proc service share: the headers the service sets and the name it gives each backendRef.

import type { ExtProcBackendDocument } from '../ir/ai.ts';
import type { LLMRequestCost } from '../resources/ai-gateway.ts';
import type { ResourceKey } from '../resources/resource-key.ts';

/** The model the client asked for, set by the service once it has read the body. */
export const MODEL_HEADER = 'x-ai-eg-model';
/**
 * The backendRef the service picked (`extProcBackendName`); Envoy's rules route on it. For a fallback rule, the
 * response header naming the backend that answered (from the endpoint's metadata).
 */
export const BACKEND_HEADER = 'x-ai-eg-backend';
/** The endpoint metadata naming a fallback rule's backend (Envoy AI Gateway's namespace and key). */
export const BACKEND_METADATA_NAMESPACE = 'aigateway.envoy.io';
export const BACKEND_METADATA_KEY = 'per_route_rule_backend_name';
/** The ext_proc `request_attributes` expression the upstream filter of a fallback rule's cluster reads. */
export const BACKEND_ATTRIBUTE = `xds.upstream_host_metadata.filter_metadata['${BACKEND_METADATA_NAMESPACE}']['${BACKEND_METADATA_KEY}']`;

/** The request body limit of AI routes unless a ClientTrafficPolicy's `connection.bufferLimit` sets another. */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;
/**
 * The listener metadata carrying the request body limit of its AI routes (the listener's buffer limit), and the
 * ext_proc `request_attributes` expression by which the service reads it: Envoy and the service apply one limit.
 */
export const BODY_LIMIT_METADATA_NAMESPACE = 'switchyard.dev/ai-gateway';
export const BODY_LIMIT_METADATA_KEY = 'max_request_body_bytes';
export const BODY_LIMIT_ATTRIBUTE = `xds.listener_metadata.filter_metadata['${BODY_LIMIT_METADATA_NAMESPACE}']['${BODY_LIMIT_METADATA_KEY}']`;

export type { ExtProcAuth, ExtProcBackendDocument, ExtProcCredentialOverride } from '../ir/ai.ts';

export interface ExtProcRuleDocument {
  models: string[];
  /** With several priorities the rule is a fallback rule: Envoy picks the backend (docs/extproc.md). */
  /** `refused`: a backendRef the route may not use (no ReferenceGrant): its share is answered 500 with this text. */
  backends: { name: string; weight: number; priority?: number; refused?: string }[];
  llmRequestCosts?: LLMRequestCost[];
}

/** One model of `GET /v1/models`. */
export interface ExtProcModelDocument {
  name: string;
  ownedBy: string;
  created: number;
  /** The route's hostnames; absent: listed for every host. */
  hostnames?: string[];
}

export interface ExtProcConfigDocument {
  models: ExtProcModelDocument[];
  rules: ExtProcRuleDocument[];
  backends: ExtProcBackendDocument[];
}

/** The name the ext_proc service and Envoy know one backendRef of one rule by (x-ai-eg-backend). */
export function extProcBackendName(route: ResourceKey, rule: number, ref: number): string {
  return `${route.namespace ?? ''}/${route.name}/rule/${rule}/ref/${ref}`;
}
