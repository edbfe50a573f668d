// An AIGatewayRoute as the data planes serve it (model/ai-gateway/ evaluates it): per rule, the models it serves and
// its AIServiceBackends — schema, model override, credentials, mutations, weight and priority. Envoy reads the
// same backends through the ext_proc configuration document (docs/extproc.md); agentgateway, which routes by the
// request body's model itself, gets them as the `ai` of a RouteIR (backends/agentgateway/ai.ts). Types only.
import type { HTTPBodyMutation, HTTPHeaderMutation, VersionedAPISchema } from '../resources/ai-gateway.ts';

/** A per-request credential source (BackendSecurityPolicy `credentialOverride`). */
export interface ExtProcCredentialOverride {
  header?: string;
  metadata?: { namespace: string; key: string };
  fallbackToConfigured: boolean;
}

/**
 * A backend's credentials: a key, AWS credentials (without static ones when every request must bring its own),
 * a GCP access token with the model's location (GCPCredentials; an Azure Entra ID token is sent as an `apiKey`, a
 * bearer token), or `unavailable` — the policy cannot be used, and the data plane refuses the backend's requests
 * saying why (a GCP backend's location kept, which the service needs to load the backend).
 */
export type ExtProcAuth = (
  | { apiKey: { key?: string } }
  | { azureAPIKey: { key?: string } }
  | { anthropicAPIKey: { key?: string } }
  | { aws: { region: string; accessKeyId?: string; secretAccessKey?: string; sessionToken?: string } }
  | { gcp: GcpLocation & { accessToken?: string } }
  | { unavailable: string; gcp?: GcpLocation }
) & { override?: ExtProcCredentialOverride };

/** Where a GCP backend's model lives (GCPCredentials projectName and region); the service builds the path from it. */
export interface GcpLocation {
  projectName: string;
  region: string;
}

/** One backendRef of a rule as the ext_proc service (and agentgateway) use it. */
export interface ExtProcBackendDocument {
  name: string;
  schema: VersionedAPISchema;
  modelNameOverride?: string;
  /** The provider's host name (an ExternalName Service): the service sets it as :authority (and signs it). */
  host?: string;
  auth?: ExtProcAuth;
  headerMutation?: HTTPHeaderMutation;
  bodyMutation?: HTTPBodyMutation;
}

/** One backendRef of an AI rule: its backend document, weight and priority (0 first). */
export interface AiBackendIR {
  readonly backend: ExtProcBackendDocument;
  readonly weight: number;
  readonly priority: number;
}

/** One rule of `spec.rules` that can be routed. */
export interface AiRuleIR {
  /** Index of the rule in the AIGatewayRoute's spec.rules. */
  readonly index: number;
  /** The models it serves (the Exact x-ai-eg-model value of each match). */
  readonly models: readonly string[];
  /** Unix seconds listed for its models in `GET /v1/models`. */
  readonly created: number;
  /** Its usable backendRefs, in order. */
  readonly backends: readonly AiBackendIR[];
  /** What agentgateway cannot serve of the rule as written, naming the field (the rule is not served there). */
  readonly agentgatewayUnsupported?: string;
}

/** The `ai` of a RouteIR. */
export interface AiRouteIR {
  readonly rules: readonly AiRuleIR[];
  /** What agentgateway cannot serve of the route as a whole, naming the field (the route is not served there). */
  readonly agentgatewayUnsupported?: string;
}
