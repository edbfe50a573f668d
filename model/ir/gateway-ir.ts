// The backend-neutral Gateway IR: what every data-plane backend reads. Per Gateway, its ready listeners grouped by
// port, the routes accepted on each (valid rules only, matches normalised, backends resolved). Invalid backends
// stay as entries so the data plane answers 500 for their share of the weight. Sorted, deterministic and
// JSON-serialisable. Types only: the rules of model/gateway-api produce its parts, model/evaluation builds it.

import type { RouteKind } from '../resources/gateway-api.ts';
import type { ResourceKey } from '../resources/resource-key.ts';
import type { DataPlaneBackend, DataPlaneServiceType } from '../resources/switchyard.ts';
import type { AiRouteIR } from './ai.ts';
import type { ResolvedBackend } from './backends.ts';
import type { EnvoyProxyIR } from './envoy-gateway.ts';
import type { McpRouteIR } from './mcp.ts';
import type { ClientTrafficIR, RulePoliciesIR } from './policies.ts';

export type BackendIR =
  | ({ readonly weight: number; readonly filters?: readonly unknown[] } & ResolvedBackend)
  | {
      readonly weight: number;
      readonly kind: 'Invalid';
      readonly reason: BackendRefReason;
      readonly message: string;
    };

export interface RuleIR {
  /** Index of the rule in the route's spec.rules. */
  readonly index: number;
  readonly name?: string;
  readonly matches: readonly unknown[];
  readonly filters: readonly unknown[];
  readonly backends: readonly BackendIR[];
  readonly mirrors: readonly BackendIR[];
  /** HTTPRoute `timeouts`, in milliseconds (0 = none). */
  readonly timeouts?: RuleTimeouts;
  /** HTTPRoute `retry`. */
  readonly retry?: RuleRetry;
  /** `sessionPersistence`: a client's requests go on to the endpoint its session names. */
  readonly sessionPersistence?: SessionPersistenceIR;
  /** What policies attached to this rule (directly or through its route, listener or Gateway) require. */
  readonly policies?: RulePoliciesIR;
  /**
   * An AIGatewayRoute rule with backends at several priorities, aligned with `backends`: each one's name in the
   * ext_proc configuration and its priority. The data plane sends the rule to one cluster with a locality per
   * backend at its priority, retrying the next priority, and translates each attempt (docs/extproc.md).
   */
  readonly priorityFallback?: readonly { readonly name: string; readonly priority: number }[];
}

export interface RouteIR {
  readonly route: ResourceKey;
  readonly kind: RouteKind;
  /** Hostnames served on this listener (route ∩ listener); empty means any. */
  readonly hostnames: readonly string[];
  readonly rules: readonly RuleIR[];
  /** Requests pass the AI Gateway's ext_proc service (AIGatewayRoute); a rule without backends answers 404. */
  readonly extProc?: boolean;
  /** An MCPRoute: every rule serves its MCP servers (on Envoy through the MCP proxy), whatever its backends. */
  readonly mcp?: McpRouteIR;
  /** An AIGatewayRoute (with `extProc`): its models and backends, which agentgateway serves natively. */
  readonly ai?: AiRouteIR;
}

export interface ListenerIR {
  readonly owner: ResourceKey;
  readonly name: string;
  readonly protocol: string;
  readonly hostname?: string;
  readonly tls?: {
    readonly mode: 'Terminate' | 'Passthrough';
    readonly certificates: readonly ResourceKey[];
  };
  /** Routes in precedence order: oldest first, then by namespace/name. */
  readonly routes: readonly RouteIR[];
  /** The ClientTrafficPolicy in force for this listener. */
  readonly clientTraffic?: ClientTrafficIR;
  /** The Gateway's `spec.tls.frontend` client-certificate validation (HTTPS listeners); over the policy's. */
  readonly clientValidation?: ClientValidationIR;
}

/** Client certificates a listener asks for, checked against `caBundle` (PEM, public material). */
export interface ClientValidationIR {
  /** AllowValidOnly: a valid certificate is required; AllowInsecureFallback: any client is let in. */
  readonly mode: 'AllowValidOnly' | 'AllowInsecureFallback';
  readonly caBundle: string;
}

export interface PortIR {
  readonly port: number;
  readonly transport: 'TCP' | 'UDP';
  /** Most specific hostname first, as the spec orders listener matching. */
  readonly listeners: readonly ListenerIR[];
}

export interface GatewayIR {
  readonly gateway: ResourceKey;
  readonly gatewayClassName: string;
  readonly parameters: ResolvedGatewayClassParameters;
  /** The EnvoyProxy settings of the Gateway's data plane (its class's, overlaid by its own), when one applies. */
  readonly envoyProxy?: EnvoyProxyIR;
  readonly ports: readonly PortIR[];
  /**
   * `spec.tls.backend.clientCertificateRef`: the TLS Secret presented to every backend reached over TLS, or why it
   * cannot be (then those backends get no traffic rather than a connection without it).
   */
  readonly backendClientCertificate?: { readonly secret: ResourceKey } | { readonly problem: string };
}

// ---- Parts of the IR ---------------------------------------------------------------------------------------

export interface ResolvedGatewayClassParameters {
  readonly backend: DataPlaneBackend;
  readonly dataPlane: {
    readonly image?: string;
    readonly replicas: number;
    readonly serviceType: DataPlaneServiceType;
  };
  readonly xds: { readonly address?: string };
}

/**
 * Why a backendRef cannot be used: the route's ResolvedRefs reason (`RouteReason` in shared/conditions.ts), or
 * Envoy Gateway's for a Backend it cannot use (`EnvoyGatewayBackendReason` in policies/backend-spec.ts).
 */
export type BackendRefReason =
  | 'InvalidKind'
  | 'BackendNotFound'
  | 'RefNotPermitted'
  | 'UnsupportedProtocol'
  | 'InvalidBackendRef'
  | 'InvalidAddress'
  | 'UnsupportedAddressType'
  | 'InvalidBackendTLS';

export interface RuleTimeouts {
  /** Whole request, retries included; 0 = no timeout. */
  readonly requestMs?: number;
  /** One attempt at the backend; 0 = no timeout. */
  readonly backendRequestMs?: number;
}

/**
 * Where a session is kept: a cookie (its path the rule's, its lifetime in ms when permanent; without one a browser
 * session cookie) or a header the backend's response carries and the client sends back.
 */
export type SessionPersistenceIR =
  | { readonly type: 'Cookie'; readonly name: string; readonly path: string; readonly ttlMs?: number }
  | { readonly type: 'Header'; readonly name: string };

export interface RuleRetry {
  /** Status codes (400–599) that are retried; connection failures are always retried. */
  readonly codes: readonly number[];
  /** Retries after the first attempt; undefined leaves the data plane's default. */
  readonly attempts?: number;
  readonly backoffMs?: number;
}
