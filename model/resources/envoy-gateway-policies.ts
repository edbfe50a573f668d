// Envoy Gateway's policy kinds (gateway.envoyproxy.io/v1alpha1, field names and meaning as in Envoy Gateway
// v1.9): SecurityPolicy and EnvoyExtensionPolicy here, ClientTrafficPolicy and BackendTrafficPolicy in files of
// their own (client-traffic-policy.ts, backend-traffic-policy.ts), the parts they share in
// envoy-gateway-policy-base.ts. Each kind's fields are described once, as
// a FieldSchema: deploy/crds/ is generated from it (a test keeps them equal) and files-mode objects are checked
// against it, so an unknown field is named, never silently dropped. Parts Switchyard does not support are
// described loosely (`free`) and refused by the policy rules (model/policies/) with a condition naming them.
import { BACKEND_TRAFFIC_POLICY_SPEC, type BackendTrafficPolicy } from './backend-traffic-policy.ts';
import { CLIENT_TRAFFIC_POLICY_SPEC, type ClientTrafficPolicy } from './client-traffic-policy.ts';
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
import { bool, duration, type FieldSchema, free, int, list, obj, str } from './field-schema.ts';

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

export type SecurityPolicy = PolicyObject<'SecurityPolicy', SecurityPolicySpec>;
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

export const POLICY_SPEC_SCHEMAS: Readonly<Record<EnvoyGatewayPolicyKind, FieldSchema>> = {
  SecurityPolicy: SECURITY_POLICY_SPEC,
  ClientTrafficPolicy: CLIENT_TRAFFIC_POLICY_SPEC,
  EnvoyExtensionPolicy: ENVOY_EXTENSION_POLICY_SPEC,
  BackendTrafficPolicy: BACKEND_TRAFFIC_POLICY_SPEC,
};
