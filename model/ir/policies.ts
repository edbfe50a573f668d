// The policy fields of the Gateway IR: what GEP-713 policies (Envoy Gateway's SecurityPolicy,
// ClientTrafficPolicy, EnvoyExtensionPolicy, BackendTrafficPolicy in traffic-policies.ts) contribute to a route rule or a
// listener, already resolved (Secrets read, backends resolved), so a backend translates them without knowing
// the policy kinds. A rule that a policy could not be enforced on carries `denied`: the data plane answers it
// directly and never forwards it (fail closed).

import type { ResourceKey } from '../resources/resource-key.ts';
import type { ResolvedBackend } from './backends.ts';
import type { BackendTrafficIR } from './traffic-policies.ts';

/** A backend a policy sends to (remote JWKS, ext auth, ext_proc), resolved like a route's backendRef. */
export type PolicyBackendIR = ResolvedBackend & { readonly weight: number };

/** Where a policy's service lives: resolved backends, or a URI's host and port (remote JWKS by URI). */
export type PolicyDestinationIR =
  | { readonly kind: 'backends'; readonly backends: readonly PolicyBackendIR[] }
  | {
      readonly kind: 'uri';
      readonly host: string;
      readonly port: number;
      readonly tls: boolean;
    };

// ---- SecurityPolicy ---------------------------------------------------------------------------------------

export interface JwtProviderIR {
  readonly name: string;
  readonly issuer?: string;
  readonly audiences: readonly string[];
  readonly jwks:
    | {
        readonly kind: 'remote';
        readonly uri: string;
        readonly destination: PolicyDestinationIR;
        readonly cacheDurationMs?: number;
        readonly failedRefetchMs?: number;
      }
    | { readonly kind: 'local'; readonly inline: string };
  readonly claimToHeaders: readonly { readonly header: string; readonly claim: string }[];
  readonly recomputeRoute: boolean;
  readonly extractFrom?: {
    readonly headers: readonly { readonly name: string; readonly valuePrefix?: string }[];
    readonly cookies: readonly string[];
    readonly params: readonly string[];
  };
}

export interface JwtIR {
  /** A request without a token passes (an invalid one does not). */
  readonly optional: boolean;
  /** A request with a missing or invalid token passes (claims of a valid one are still forwarded). */
  readonly failOpen: boolean;
  readonly providers: readonly JwtProviderIR[];
}

export type AuthorizationAction = 'Allow' | 'Deny';

export interface AuthorizationRuleIR {
  readonly name: string;
  readonly action: AuthorizationAction;
  readonly methods: readonly string[];
  readonly path?: { readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression'; readonly value: string };
  /** CIDRs as address + prefix length; any matches. */
  readonly clientCIDRs: readonly { readonly address: string; readonly prefixLength: number }[];
  /** All headers must match; a header matches when it equals one of its values. */
  readonly headers: readonly { readonly name: string; readonly values: readonly string[] }[];
  readonly jwt?: {
    readonly provider: string;
    readonly claims: readonly {
      readonly name: string;
      readonly valueType: 'String' | 'StringArray';
      readonly values: readonly string[];
    }[];
    readonly scopes: readonly string[];
  };
}

export interface AuthorizationIR {
  readonly rules: readonly AuthorizationRuleIR[];
  readonly defaultAction: AuthorizationAction;
}

export interface BasicAuthIR {
  /**
   * htpasswd lines (`user:{SHA}…`) from the Secret's `.htpasswd`. Secret material: fields named `credentials`
   * are redacted from logs and the inspector (runtime/logger.ts).
   */
  readonly credentials: string;
  readonly forwardUsernameHeader?: string;
}

export interface ApiKeyAuthIR {
  /** client id → API key, from the credential Secrets (first Secret wins for a duplicated client). Secret material. */
  readonly credentials: readonly { readonly client: string; readonly key: string }[];
  readonly extractFrom: readonly {
    readonly headers: readonly string[];
    readonly params: readonly string[];
    readonly cookies: readonly string[];
  }[];
  readonly forwardClientIDHeader?: string;
  readonly sanitize: boolean;
}

export interface CorsIR {
  /** Origins as `*`, exact origins, or `scheme://*.domain[:port]` wildcards. */
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds?: number;
  readonly allowCredentials: boolean;
}

export interface ExtAuthIR {
  readonly protocol: 'GRPC' | 'HTTP';
  readonly destination: PolicyDestinationIR;
  /** HTTP: path prefixed to the request path, or replacing it. */
  readonly path?: string;
  readonly pathOverride?: string;
  /** HTTP: authorization response headers copied onto the request to the backend. */
  readonly headersToBackend: readonly string[];
  /** Client request headers sent to the service (gRPC: all when empty). */
  readonly headersToExtAuth: readonly string[];
  readonly maxRequestBytes?: number;
  readonly timeoutMs: number;
  readonly failOpen: boolean;
  readonly recomputeRoute: boolean;
  readonly statusOnError?: number;
  readonly contextExtensions: readonly { readonly name: string; readonly value: string }[];
}

/** OpenID Connect: the authorization code flow against one provider (Envoy's oauth2 filter). */
export interface OidcIR {
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  /** Where codes are exchanged for tokens, and how the data plane reaches it. */
  readonly tokenEndpoint: { readonly uri: string; readonly destination: PolicyDestinationIR };
  readonly clientId: string;
  readonly clientSecret: string;
  /** `openid` first. */
  readonly scopes: readonly string[];
  readonly resources: readonly string[];
  /** May hold Envoy command operators (%REQ(:authority)%). */
  readonly redirectUri: string;
  /** The path of the redirect URI: the callback the filter answers. */
  readonly redirectPath: string;
  readonly logoutPath: string;
  readonly forwardAccessToken: boolean;
  readonly refreshToken: boolean;
  readonly defaultTokenTtlMs?: number;
  readonly defaultRefreshTokenTtlMs?: number;
  readonly cookieNames: { readonly accessToken?: string; readonly idToken?: string };
  /** Requests matching any of these answer 401 instead of being sent to sign in (API and XHR clients). */
  readonly denyRedirect?: readonly OidcDenyRedirectIR[];
  /** The session cookies are set on this domain (and so its subdomains) instead of the request's host. */
  readonly cookieDomain?: string;
  /** The SameSite attribute of every cookie the filter sets. */
  readonly sameSite?: 'Strict' | 'Lax' | 'None';
  /** How long the CSRF (nonce) cookie of a sign-in in progress lives. */
  readonly csrfTokenTtlMs?: number;
  /** The token cookies hold the tokens as the provider issued them (not encrypted with the HMAC secret). */
  readonly disableTokenEncryption?: boolean;
  /** RP-initiated logout: the logout path sends the browser here (with the ID token as a hint). */
  readonly endSessionEndpoint?: string;
  /** The ID token goes to the backend in this header (`Authorization`: as a bearer token). */
  readonly forwardIdTokenHeader?: string;
  /**
   * passThroughAuthHeader: a request carrying one of these headers (the ones the policy's JWT providers read)
   * skips sign-in and is left to the JWT filter.
   */
  readonly passThroughHeaders?: readonly OidcPassThroughHeaderIR[];
}

export interface OidcPassThroughHeaderIR {
  readonly name: string;
  /** The value must start with this; without it, the header's presence is enough. */
  readonly prefix?: string;
}

export interface OidcDenyRedirectIR {
  readonly name: string;
  readonly type: 'Exact' | 'Prefix' | 'Suffix' | 'RegularExpression';
  readonly value: string;
}

export interface SecurityIR {
  readonly policy: ResourceKey;
  readonly cors?: CorsIR;
  readonly jwt?: JwtIR;
  readonly oidc?: OidcIR;
  readonly basicAuth?: BasicAuthIR;
  readonly apiKeyAuth?: ApiKeyAuthIR;
  readonly extAuth?: ExtAuthIR;
  readonly authorization?: AuthorizationIR;
}

// ---- EnvoyExtensionPolicy -----------------------------------------------------------------------------------

export type BodyMode = 'Streamed' | 'Buffered' | 'BufferedPartial' | 'FullDuplexStreamed';

export interface ExtProcIR {
  readonly destination: PolicyDestinationIR;
  readonly messageTimeoutMs: number;
  readonly failOpen: boolean;
  /** Headers are sent in a direction when it is present; its body mode, when set. */
  readonly request?: { readonly body?: BodyMode; readonly attributes: readonly string[] };
  readonly response?: { readonly body?: BodyMode; readonly attributes: readonly string[] };
  readonly allowModeOverride: boolean;
  readonly observabilityMode: boolean;
  readonly accessibleNamespaces: readonly string[];
  readonly writableNamespaces: readonly string[];
  readonly statusOnError?: number;
}

export interface ExtensionIR {
  readonly policy: ResourceKey;
  readonly extProc: readonly ExtProcIR[];
}

// ---- What a rule carries --------------------------------------------------------------------------------------

/** A rule no request may pass: a policy targeting it cannot be enforced. */
export interface DeniedIR {
  readonly status: number;
  readonly policy: ResourceKey;
  /** Why, as the policy's condition says it. */
  readonly reason: string;
}

export interface RulePoliciesIR {
  readonly security?: SecurityIR;
  readonly extension?: ExtensionIR;
  readonly traffic?: BackendTrafficIR;
  readonly denied?: DeniedIR;
}

// ---- ClientTrafficPolicy (per listener) --------------------------------------------------------------------------

export interface ClientTrafficIR {
  readonly policy: ResourceKey;
  /** Socket keepalive on the listener's port (seconds). */
  readonly tcpKeepalive?: {
    readonly probes?: number;
    readonly idleTimeS?: number;
    readonly intervalS?: number;
  };
  readonly clientIPDetection?:
    | { readonly kind: 'xff'; readonly numTrustedHops: number }
    | { readonly kind: 'customHeader'; readonly header: string; readonly failClosed: boolean };
  /** TLS of an HTTPS listener. */
  readonly tls?: {
    readonly minVersion?: 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';
    readonly maxVersion?: 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';
    readonly ciphers: readonly string[];
    readonly ecdhCurves: readonly string[];
    readonly signatureAlgorithms: readonly string[];
    /** undefined: the default [h2, http/1.1]; empty: ALPN off. */
    readonly alpnProtocols?: readonly string[];
    readonly clientValidation?: {
      /** RequireAndVerify: a valid client certificate is required; VerifyIfGiven: one given must be valid. */
      readonly required: boolean;
      /** PEM bundle of the CA certificates. Public material. */
      readonly caBundle: string;
    };
  };
  readonly path?: {
    readonly escapedSlashesAction?:
      | 'KEEP_UNCHANGED'
      | 'REJECT_REQUEST'
      | 'UNESCAPE_AND_FORWARD'
      | 'UNESCAPE_AND_REDIRECT';
    readonly mergeSlashes: boolean;
  };
  readonly headers?: {
    readonly suppressEnvoyHeaders?: boolean;
    readonly withUnderscoresAction?: 'ALLOW' | 'REJECT_REQUEST' | 'DROP_HEADER';
    /** Envoy's generate_request_id / preserve_external_request_id. */
    readonly requestID?: { readonly generate: boolean; readonly preserveExternal: boolean };
    readonly xForwardedClientCert?: {
      readonly mode: 'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';
      readonly details: readonly ('Subject' | 'Cert' | 'Chain' | 'DNS' | 'URI')[];
    };
  };
  /** HTTP timeouts in milliseconds. */
  readonly timeout?: {
    readonly requestReceivedMs?: number;
    readonly requestHeadersReceivedMs?: number;
    readonly idleMs?: number;
    readonly streamIdleMs?: number;
  };
  readonly connection?: {
    readonly connectionLimit?: { readonly value: number; readonly closeDelayMs?: number };
    readonly bufferLimitBytes?: number;
    readonly maxConnectionDurationMs?: number;
    /** With maxConnectionDurationMs: an HTTP/1 connection past it is closed after its next answer. */
    readonly http1SafeMaxConnectionDuration?: boolean;
    readonly maxRequestsPerConnection?: number;
    readonly maxStreamDurationMs?: number;
  };
  /** HTTP/1 settings; trailers and header case apply to the upstream connections of the listener's routes too. */
  readonly http1?: {
    readonly enableTrailers: boolean;
    readonly acceptHttp10: boolean;
    /** `http10.useDefaultHost`: an HTTP/1.0 request without Host is routed as if it named `defaultHost`. */
    readonly useDefaultHost?: boolean;
    /** The listener's default host (apply.ts resolves it per listener: http10DefaultHost). */
    readonly defaultHost?: string;
    readonly preserveHeaderCase: boolean;
  };
  readonly http2?: {
    readonly initialStreamWindowSize: number;
    readonly initialConnectionWindowSize: number;
    readonly maxConcurrentStreams: number;
    readonly terminateStreamOnInvalidMessage: boolean;
  };
}
