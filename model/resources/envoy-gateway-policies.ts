// Envoy Gateway's policy kinds (gateway.envoyproxy.io/v1alpha1, field names and meaning as in Envoy Gateway
// v1.9): SecurityPolicy, ClientTrafficPolicy and EnvoyExtensionPolicy here, BackendTrafficPolicy in its own file
// (backend-traffic-policy.ts), the parts they share in envoy-gateway-policy-base.ts. Each kind's fields are described once, as
// a FieldSchema: deploy/crds/ is generated from it (a test keeps them equal) and files-mode objects are checked
// against it, so an unknown field is named, never silently dropped. Parts Switchyard does not support are
// described loosely (`free`) and refused by the policy rules (model/policies/) with a condition naming them.
import { BACKEND_TRAFFIC_POLICY_SPEC, type BackendTrafficPolicy } from './backend-traffic-policy.ts';
import { TLS_SETTINGS_FIELDS } from './envoy-gateway.ts';
import {
  type BackendCluster,
  backendCluster,
  objectRef,
  type PolicyObject,
  type PolicyTargetReferences,
  type SecretObjectReference,
  statusCode,
  targets,
} from './envoy-gateway-policy-base.ts';
import { bool, duration, type FieldSchema, free, int, list, obj, quantity, str } from './field-schema.ts';

export type { BackendTrafficPolicy } from './backend-traffic-policy.ts';
export type {
  BackendCluster,
  EGBackendRef,
  PolicyAncestorStatusShape,
  PolicyTargetReference,
  PolicyTargetReferences,
  SecretObjectReference,
  TargetSelector,
} from './envoy-gateway-policy-base.ts';

export const ENVOY_GATEWAY_POLICY_KINDS = [
  'SecurityPolicy',
  'ClientTrafficPolicy',
  'EnvoyExtensionPolicy',
  'BackendTrafficPolicy',
] as const;
export type EnvoyGatewayPolicyKind = (typeof ENVOY_GATEWAY_POLICY_KINDS)[number];

// ---- Shapes (what the rules read; every field optional: objects come from users) --------------------------

export interface JWTProvider {
  name?: string;
  issuer?: string;
  audiences?: string[];
  remoteJWKS?: BackendCluster & { uri?: string; cacheDuration?: string; failedRefetchDuration?: string };
  localJWKS?: {
    type?: 'Inline' | 'ValueRef';
    inline?: string;
    valueRef?: { group?: string; kind?: string; name?: string };
  };
  claimToHeaders?: { header?: string; claim?: string }[];
  recomputeRoute?: boolean;
  extractFrom?: {
    headers?: { name?: string; valuePrefix?: string }[];
    cookies?: string[];
    params?: string[];
  };
}

export interface AuthorizationRule {
  name?: string;
  action?: 'Allow' | 'Deny';
  operation?: { methods?: string[]; path?: { type?: string; value?: string } };
  principal?: {
    clientCIDRs?: string[];
    jwt?: {
      provider?: string;
      claims?: { name?: string; valueType?: 'String' | 'StringArray'; values?: string[] }[];
      scopes?: string[];
    };
    headers?: { name?: string; values?: string[] }[];
    clientIPGeoLocations?: unknown[];
  };
  cel?: string;
}

export interface SecurityPolicySpec extends PolicyTargetReferences {
  mergeType?: string;
  apiKeyAuth?: {
    credentialRefs?: SecretObjectReference[];
    extractFrom?: { headers?: string[]; params?: string[]; cookies?: string[] }[];
    forwardClientIDHeader?: string;
    sanitize?: boolean;
  };
  cors?: {
    allowOrigins?: string[];
    allowMethods?: string[];
    allowHeaders?: string[];
    exposeHeaders?: string[];
    maxAge?: string;
    allowCredentials?: boolean;
  };
  csrf?: unknown;
  basicAuth?: { users?: SecretObjectReference; forwardUsernameHeader?: string };
  jwt?: { optional?: boolean; failOpen?: boolean; providers?: JWTProvider[] };
  oidc?: {
    provider?: BackendCluster & {
      issuer?: string;
      authorizationEndpoint?: string;
      tokenEndpoint?: string;
      endSessionEndpoint?: string;
    };
    clientID?: string;
    clientIDRef?: SecretObjectReference;
    clientSecret?: SecretObjectReference;
    cookieNames?: { accessToken?: string; idToken?: string };
    cookieConfig?: { sameSite?: string };
    cookieDomain?: string;
    scopes?: string[];
    resources?: string[];
    redirectURL?: string;
    denyRedirect?: unknown;
    logoutPath?: string;
    forwardAccessToken?: boolean;
    forwardIDToken?: { header?: string };
    defaultTokenTTL?: string;
    refreshToken?: boolean;
    defaultRefreshTokenTTL?: string;
    csrfTokenTTL?: string;
    disableTokenEncryption?: boolean;
    passThroughAuthHeader?: boolean;
  };
  extAuth?: {
    grpc?: BackendCluster;
    http?: BackendCluster & { path?: string; pathOverride?: string; headersToBackend?: string[] };
    headersToExtAuth?: string[];
    bodyToExtAuth?: { maxRequestBytes?: number };
    timeout?: string;
    failOpen?: boolean;
    recomputeRoute?: boolean;
    includeRouteMetadata?: boolean;
    contextExtensions?: {
      name?: string;
      type?: 'Value' | 'ValueRef';
      value?: string;
      valueRef?: { group?: string; kind?: string; name?: string; key?: string };
    }[];
    statusOnError?: number;
  };
  authorization?: { rules?: AuthorizationRule[]; defaultAction?: 'Allow' | 'Deny' };
}

export interface ExtProc extends BackendCluster {
  messageTimeout?: string;
  failOpen?: boolean;
  processingMode?: {
    request?: { body?: string; attributes?: string[] };
    response?: { body?: string; attributes?: string[] };
    allowModeOverride?: boolean;
  };
  shadowMode?: boolean;
  metadata?: { accessibleNamespaces?: string[]; writableNamespaces?: string[] };
  statusOnError?: number;
}

export interface EnvoyExtensionPolicySpec extends PolicyTargetReferences {
  mergeType?: string;
  wasm?: unknown[];
  extProc?: ExtProc[];
  lua?: unknown[];
  dynamicModule?: unknown[];
}

export interface ClientTrafficPolicySpec extends PolicyTargetReferences {
  tcpKeepalive?: { probes?: number; idleTime?: string; interval?: string };
  enableProxyProtocol?: boolean;
  proxyProtocol?: unknown;
  clientIPDetection?: {
    xForwardedFor?: {
      numTrustedHops?: number;
      trustedCIDRs?: string[];
      disableXForwardedForAppend?: boolean;
    };
    customHeader?: { name?: string; failClosed?: boolean };
    directSourceIP?: Record<string, never>;
  };
  tls?: {
    minVersion?: string;
    maxVersion?: string;
    ciphers?: string[];
    ecdhCurves?: string[];
    signatureAlgorithms?: string[];
    alpnProtocols?: string[];
    fingerprints?: string[];
    clientValidation?: {
      optional?: boolean;
      mode?: string;
      caCertificateRefs?: SecretObjectReference[];
      spkiHashes?: string[];
      certificateHashes?: string[];
      subjectAltNames?: unknown;
      crl?: unknown;
      allowExpiredCertificate?: boolean;
    };
    session?: unknown;
  };
  path?: { escapedSlashesAction?: string; disableMergeSlashes?: boolean };
  headers?: {
    enableEnvoyHeaders?: boolean;
    disableRateLimitHeaders?: boolean;
    xForwardedClientCert?: { mode?: string; certDetailsToAdd?: string[] };
    withUnderscoresAction?: string;
    preserveXRequestID?: boolean;
    requestID?: string;
    earlyRequestHeaders?: unknown;
    lateResponseHeaders?: unknown;
    host?: unknown;
  };
  timeout?: {
    tcp?: { idleTimeout?: string; tlsHandshakeTimeout?: string; connectionInspectionTimeout?: string };
    http?: {
      requestReceivedTimeout?: string;
      requestHeadersReceivedTimeout?: string;
      idleTimeout?: string;
      streamIdleTimeout?: string;
    };
  };
  connection?: {
    connectionLimit?: {
      value?: number;
      closeDelay?: string;
      maxConnectionDuration?: string;
      maxRequestsPerConnection?: number;
      maxStreamDuration?: string;
    };
    bufferLimit?: string | number;
    socketBufferLimit?: string | number;
    maxAcceptPerSocketEvent?: number;
  };
  http1?: {
    enableTrailers?: boolean;
    preserveHeaderCase?: boolean;
    http10?: { useDefaultHost?: boolean };
    disableSafeMaxConnectionDuration?: boolean;
    ignoredUpgradeTypes?: unknown[];
  };
  http2?: {
    initialStreamWindowSize?: string | number;
    initialConnectionWindowSize?: string | number;
    maxConcurrentStreams?: number;
    onInvalidMessage?: string;
    connectionKeepalive?: unknown;
  };
  http3?: unknown;
  grpc?: unknown;
  healthCheck?: unknown;
  scheme?: string;
}

export type SecurityPolicy = PolicyObject<'SecurityPolicy', SecurityPolicySpec>;
export type ClientTrafficPolicy = PolicyObject<'ClientTrafficPolicy', ClientTrafficPolicySpec>;
export type EnvoyExtensionPolicy = PolicyObject<'EnvoyExtensionPolicy', EnvoyExtensionPolicySpec>;
export type EnvoyGatewayPolicy =
  | SecurityPolicy
  | ClientTrafficPolicy
  | EnvoyExtensionPolicy
  | BackendTrafficPolicy;

// ---- Schemas ------------------------------------------------------------------------------------------------

const jwtProvider = obj(
  {
    name: str(),
    issuer: str(),
    audiences: list(str(), 8),
    remoteJWKS: obj(
      { ...backendCluster, uri: str(), cacheDuration: duration, failedRefetchDuration: duration },
      ['uri'],
    ),
    localJWKS: obj({
      type: str(['Inline', 'ValueRef']),
      inline: str(),
      valueRef: obj({ group: str(), kind: str(), name: str() }, ['name']),
    }),
    claimToHeaders: list(obj({ header: str(), claim: str() }, ['header', 'claim'])),
    recomputeRoute: bool,
    extractFrom: obj({
      headers: list(obj({ name: str(), valuePrefix: str() }, ['name'])),
      cookies: list(str()),
      params: list(str()),
    }),
  },
  ['name'],
);

const authorizationRule = obj(
  {
    name: str(),
    action: str(['Allow', 'Deny']),
    operation: obj({
      methods: list(str()),
      path: obj({ type: str(['Exact', 'PathPrefix', 'RegularExpression']), value: str() }, ['value']),
    }),
    principal: obj({
      clientCIDRs: list(str()),
      jwt: obj(
        {
          provider: str(),
          claims: list(
            obj({ name: str(), valueType: str(['String', 'StringArray']), values: list(str(), 128) }, [
              'name',
              'values',
            ]),
          ),
          scopes: list(str()),
        },
        ['provider'],
      ),
      headers: list(obj({ name: str(), values: list(str()) }, ['name', 'values'])),
      clientIPGeoLocations: list(free),
    }),
    cel: str(),
  },
  ['action'],
);

export const SECURITY_POLICY_SPEC: FieldSchema = obj({
  ...targets,
  mergeType: str(),
  apiKeyAuth: obj(
    {
      credentialRefs: list(objectRef),
      extractFrom: list(obj({ headers: list(str()), params: list(str()), cookies: list(str()) })),
      forwardClientIDHeader: str(),
      sanitize: bool,
    },
    ['credentialRefs', 'extractFrom'],
  ),
  cors: obj({
    allowOrigins: list(str()),
    allowMethods: list(str()),
    allowHeaders: list(str()),
    exposeHeaders: list(str()),
    maxAge: duration,
    allowCredentials: bool,
  }),
  csrf: free,
  basicAuth: obj({ users: objectRef, forwardUsernameHeader: str() }, ['users']),
  jwt: obj({ optional: bool, failOpen: bool, providers: list(jwtProvider, 16) }, ['providers']),
  oidc: obj(
    {
      provider: obj(
        {
          ...backendCluster,
          issuer: str(),
          authorizationEndpoint: str(),
          tokenEndpoint: str(),
          endSessionEndpoint: str(),
        },
        ['issuer'],
      ),
      clientID: str(),
      clientIDRef: objectRef,
      clientSecret: objectRef,
      cookieNames: obj({ accessToken: str(), idToken: str() }),
      cookieConfig: obj({ sameSite: str(['Lax', 'Strict', 'None']) }),
      cookieDomain: str(),
      scopes: list(str()),
      resources: list(str()),
      redirectURL: str(),
      denyRedirect: free,
      logoutPath: str(),
      forwardAccessToken: bool,
      forwardIDToken: obj({ header: str() }, ['header']),
      defaultTokenTTL: duration,
      refreshToken: bool,
      defaultRefreshTokenTTL: duration,
      csrfTokenTTL: duration,
      disableTokenEncryption: bool,
      passThroughAuthHeader: bool,
    },
    ['provider', 'clientSecret'],
  ),
  extAuth: obj({
    grpc: obj(backendCluster),
    http: obj({ ...backendCluster, path: str(), pathOverride: str(), headersToBackend: list(str()) }),
    headersToExtAuth: list(str()),
    bodyToExtAuth: obj({ maxRequestBytes: int(1) }, ['maxRequestBytes']),
    timeout: duration,
    failOpen: bool,
    recomputeRoute: bool,
    includeRouteMetadata: bool,
    contextExtensions: list(
      obj(
        {
          name: str(),
          type: str(['Value', 'ValueRef']),
          value: str(),
          valueRef: obj({ group: str(), kind: str(), name: str(), key: str() }, ['name', 'key']),
        },
        ['name'],
      ),
    ),
    statusOnError: statusCode,
  }),
  authorization: obj({ rules: list(authorizationRule), defaultAction: str(['Allow', 'Deny']) }),
});

const bodyMode = str(['Streamed', 'Buffered', 'BufferedPartial', 'FullDuplexStreamed']);
const processingModeOptions = obj({ body: bodyMode, attributes: list(str()) });

export const ENVOY_EXTENSION_POLICY_SPEC: FieldSchema = obj({
  ...targets,
  mergeType: str(),
  wasm: list(free, 16),
  extProc: list(
    obj({
      ...backendCluster,
      messageTimeout: duration,
      failOpen: bool,
      processingMode: obj({
        request: processingModeOptions,
        response: processingModeOptions,
        allowModeOverride: bool,
      }),
      shadowMode: bool,
      metadata: obj({ accessibleNamespaces: list(str()), writableNamespaces: list(str(), 8) }),
      statusOnError: statusCode,
    }),
    16,
  ),
  lua: list(free, 16),
  dynamicModule: list(free, 16),
});

export const CLIENT_TRAFFIC_POLICY_SPEC: FieldSchema = obj({
  ...targets,
  tcpKeepalive: obj({ probes: int(0), idleTime: duration, interval: duration }),
  enableProxyProtocol: bool,
  proxyProtocol: free,
  clientIPDetection: obj({
    xForwardedFor: obj({
      numTrustedHops: int(0),
      trustedCIDRs: list(str()),
      disableXForwardedForAppend: bool,
    }),
    customHeader: obj({ name: str(), failClosed: bool }, ['name']),
    directSourceIP: free,
  }),
  tls: obj({
    ...TLS_SETTINGS_FIELDS,
    clientValidation: obj({
      optional: bool,
      mode: str(['Request', 'RequireAny', 'VerifyIfGiven', 'RequireAndVerify']),
      caCertificateRefs: list(objectRef, 8),
      spkiHashes: list(str()),
      certificateHashes: list(str()),
      subjectAltNames: free,
      crl: free,
      allowExpiredCertificate: bool,
    }),
    session: free,
  }),
  path: obj({
    escapedSlashesAction: str([
      'KeepUnchanged',
      'RejectRequest',
      'UnescapeAndForward',
      'UnescapeAndRedirect',
    ]),
    disableMergeSlashes: bool,
  }),
  headers: obj({
    enableEnvoyHeaders: bool,
    disableRateLimitHeaders: bool,
    xForwardedClientCert: obj({
      mode: str(['Sanitize', 'ForwardOnly', 'AppendForward', 'SanitizeSet', 'AlwaysForwardOnly']),
      certDetailsToAdd: list(str(['Subject', 'Cert', 'Chain', 'DNS', 'URI']), 5),
    }),
    withUnderscoresAction: str(['Allow', 'RejectRequest', 'DropHeader']),
    preserveXRequestID: bool,
    requestID: str(['PreserveOrGenerate', 'Preserve', 'Generate', 'Disable']),
    earlyRequestHeaders: free,
    lateResponseHeaders: free,
    host: free,
  }),
  timeout: obj({
    tcp: obj({ idleTimeout: duration, tlsHandshakeTimeout: duration, connectionInspectionTimeout: duration }),
    http: obj({
      requestReceivedTimeout: duration,
      requestHeadersReceivedTimeout: duration,
      idleTimeout: duration,
      streamIdleTimeout: duration,
    }),
  }),
  connection: obj({
    connectionLimit: obj({
      value: int(1),
      closeDelay: duration,
      maxConnectionDuration: duration,
      maxRequestsPerConnection: int(0),
      maxStreamDuration: duration,
    }),
    bufferLimit: quantity,
    socketBufferLimit: quantity,
    maxAcceptPerSocketEvent: int(0),
  }),
  http1: obj({
    enableTrailers: bool,
    preserveHeaderCase: bool,
    http10: obj({ useDefaultHost: bool }),
    disableSafeMaxConnectionDuration: bool,
    ignoredUpgradeTypes: list(free),
  }),
  http2: obj({
    initialStreamWindowSize: quantity,
    initialConnectionWindowSize: quantity,
    maxConcurrentStreams: int(1, 2147483647),
    onInvalidMessage: str(['TerminateConnection', 'TerminateStream']),
    connectionKeepalive: free,
  }),
  http3: free,
  grpc: free,
  healthCheck: free,
  scheme: str(['Preserve', 'MatchBackend']),
});

export const POLICY_SPEC_SCHEMAS: Readonly<Record<EnvoyGatewayPolicyKind, FieldSchema>> = {
  SecurityPolicy: SECURITY_POLICY_SPEC,
  ClientTrafficPolicy: CLIENT_TRAFFIC_POLICY_SPEC,
  EnvoyExtensionPolicy: ENVOY_EXTENSION_POLICY_SPEC,
  BackendTrafficPolicy: BACKEND_TRAFFIC_POLICY_SPEC,
};
