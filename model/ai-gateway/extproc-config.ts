// The ext_proc configuration document (dataplane/extproc/config.ts reads it; see docs/extproc.md) and the names
// Envoy and the ext_proc service share: the headers the service sets and the name it gives each backendRef.

import type { LLMRequestCost, VersionedAPISchema } from '../resources/ai-gateway.ts';
import type { ResourceKey } from '../resources/resource-key.ts';

/** The model the client asked for, set by the service once it has read the body. */
export const MODEL_HEADER = 'x-ai-eg-model';
/** The backendRef the service picked (`extProcBackendName`); Envoy's rules route on it. */
export const BACKEND_HEADER = 'x-ai-eg-backend';

export type ExtProcAuth =
  | { apiKey: { key: string } }
  | { azureAPIKey: { key: string } }
  | { anthropicAPIKey: { key: string } }
  | { aws: { region: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string } };

export interface ExtProcBackendDocument {
  name: string;
  schema: VersionedAPISchema;
  modelNameOverride?: string;
  /** The provider's host name (an ExternalName Service): the service sets it as :authority (and signs it). */
  host?: string;
  auth?: ExtProcAuth;
}

export interface ExtProcRuleDocument {
  models: string[];
  backends: { name: string; weight: number }[];
  llmRequestCosts?: LLMRequestCost[];
}

/** One model of `GET /v1/models`. */
export interface ExtProcModelDocument {
  name: string;
  ownedBy: string;
  created: number;
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
