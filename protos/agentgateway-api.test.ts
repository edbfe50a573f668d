// Wire compatibility of protos/agentgateway/ with agentgateway's own resource API. The upstream Go module
// (github.com/agentgateway/agentgateway/api) is not served by the Go module proxy, so the descriptors cannot be
// compared at test time; instead every field we declare is checked against facts read from upstream's proto:
//   repository agentgateway/agentgateway, path crates/protos/proto/resource.proto,
//   commit 005d02993dfdc73c3176a426e2a957ba4062c3d8 (read through the search tool's read_file);
// and, for the istio.workload messages agentgateway takes in Resource.service/workload:
//   repository agentgateway/agentgateway, path crates/protos/proto/workload.proto,
//   commit be5b9587fcfbe7b989f6e8888173fe1a95785ad9;
// and ModelRoute (Resource.model_route), which that commit predates, from the same resource.proto at tag v1.4.1,
//   commit 163ea2146acb7b82082acea30ed691b29079095f (the release checked by hand, issue 19).
// A field we add without a fact here fails the test, so the table stays complete.
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { AGENTGATEWAY_TYPE_URL, agentgatewayApi } from './agentgateway-api.ts';

const PKG = 'agentgateway.dev.resource';
const WORKLOAD_PKG = 'istio.workload';

/** message → field → [number, type, rule] as upstream declares them. */
const UPSTREAM_FIELDS: Readonly<
  Record<string, Readonly<Record<string, readonly [number, string, string?]>>>
> = {
  Resource: {
    bind: [1, 'Bind'],
    listener: [2, 'Listener'],
    route: [3, 'Route'],
    backend: [4, 'Backend'],
    tcp_route: [6, 'TCPRoute'],
    workload: [7, 'istio.workload.Workload'],
    service: [8, 'istio.workload.Service'],
    model_route: [10, 'ModelRoute'],
  },
  Bind: { key: [1, 'string'], port: [2, 'uint32'], protocol: [3, 'Bind.Protocol'] },
  ResourceName: { name: [1, 'string'], namespace: [2, 'string'] },
  ListenerName: {
    gateway_name: [1, 'string'],
    gateway_namespace: [2, 'string'],
    listener_name: [3, 'string'],
    listener_set: [4, 'ResourceName'],
  },
  RouteName: { kind: [1, 'string'], name: [2, 'string'], namespace: [3, 'string'], rule_name: [4, 'string'] },
  Listener: {
    key: [1, 'string'],
    bind_key: [2, 'string'],
    name: [3, 'ListenerName'],
    hostname: [4, 'string'],
    protocol: [5, 'Protocol'],
    tls: [6, 'TLSConfig'],
  },
  TLSConfig: {
    cert: [1, 'bytes'],
    private_key: [2, 'bytes'],
    root: [3, 'bytes'],
    cipher_suites: [4, 'TLSConfig.CipherSuite', 'repeated'],
    min_version: [5, 'TLSConfig.TLSVersion'],
    max_version: [6, 'TLSConfig.TLSVersion'],
    mtls_mode: [7, 'TLSConfig.MTLSMode'],
    key_exchange_groups: [8, 'TLSConfig.KeyExchangeGroup', 'repeated'],
  },
  Route: {
    key: [1, 'string'],
    listener_key: [2, 'string'],
    name: [3, 'RouteName'],
    hostnames: [5, 'string', 'repeated'],
    matches: [6, 'RouteMatch', 'repeated'],
    backends: [7, 'RouteBackend', 'repeated'],
    traffic_policies: [8, 'TrafficPolicySpec', 'repeated'],
  },
  TCPRoute: {
    key: [1, 'string'],
    listener_key: [2, 'string'],
    name: [3, 'RouteName'],
    hostnames: [5, 'string', 'repeated'],
    backends: [6, 'RouteBackend', 'repeated'],
  },
  RouteMatch: {
    path: [1, 'PathMatch'],
    headers: [2, 'HeaderMatch', 'repeated'],
    method: [3, 'MethodMatch'],
    query_params: [4, 'QueryMatch', 'repeated'],
  },
  PathMatch: { exact: [1, 'string'], path_prefix: [2, 'string'], regex: [3, 'string'] },
  HeaderMatch: { name: [1, 'string'], exact: [2, 'string'], regex: [3, 'string'] },
  QueryMatch: { name: [1, 'string'], exact: [2, 'string'], regex: [3, 'string'] },
  MethodMatch: { exact: [1, 'string'] },
  RouteBackend: {
    backend: [1, 'BackendReference'],
    weight: [2, 'int32'],
    backend_policies: [5, 'BackendPolicySpec', 'repeated'],
  },
  BackendReference: {
    service: [1, 'BackendReference.Service'],
    backend: [2, 'string'],
    port: [3, 'uint32'],
  },
  'BackendReference.Service': { namespace: [1, 'string'], hostname: [2, 'string'] },
  Backend: {
    key: [1, 'string'],
    name: [2, 'ResourceName'],
    static: [3, 'StaticBackend'],
    ai: [4, 'AIBackend'],
    mcp: [5, 'MCPBackend'],
    inline_policies: [7, 'BackendPolicySpec', 'repeated'],
  },
  AIBackend: { provider_groups: [1, 'AIBackend.ProviderGroup', 'repeated'] },
  'AIBackend.HostOverride': { host: [1, 'string'], port: [2, 'int32'] },
  'AIBackend.OpenAI': { model: [1, 'string'] },
  'AIBackend.Anthropic': { model: [1, 'string'] },
  'AIBackend.Bedrock': { model: [1, 'string'], region: [2, 'string'] },
  'AIBackend.Azure': {
    resource_name: [1, 'string'],
    resource_type: [2, 'AIBackend.AzureResourceType'],
    model: [3, 'string'],
    api_version: [4, 'string'],
  },
  'AIBackend.Provider': {
    name: [1, 'string'],
    host_override: [2, 'AIBackend.HostOverride'],
    path_prefix: [12, 'string'],
    openai: [4, 'AIBackend.OpenAI'],
    anthropic: [7, 'AIBackend.Anthropic'],
    bedrock: [8, 'AIBackend.Bedrock'],
    azure: [13, 'AIBackend.Azure'],
    inline_policies: [10, 'BackendPolicySpec', 'repeated'],
  },
  'AIBackend.ProviderGroup': { providers: [1, 'AIBackend.Provider', 'repeated'] },
  ModelRoute: {
    key: [1, 'string'],
    listener_key: [2, 'string'],
    match: [3, 'ModelRoute.Match'],
    concrete_model: [5, 'ModelRoute.ConcreteModel'],
    created: [7, 'uint64'],
  },
  'ModelRoute.Match': { model: [1, 'string'] },
  'ModelRoute.ConcreteModel': {
    model_visibility: [1, 'ModelRoute.ConcreteModel.ModelVisibility'],
    backend: [2, 'BackendReference'],
    backend_policies: [3, 'BackendPolicySpec', 'repeated'],
  },
  MCPBackend: {
    targets: [2, 'MCPTarget', 'repeated'],
    stateful_mode: [3, 'MCPBackend.StatefulMode'],
    prefix_mode: [4, 'MCPBackend.PrefixMode'],
    failure_mode: [5, 'MCPBackend.FailureMode'],
  },
  MCPTarget: {
    name: [1, 'string'],
    backend: [2, 'BackendReference'],
    path: [3, 'string'],
    protocol: [4, 'MCPTarget.Protocol'],
  },
  BackendAuthPolicy: { key: [2, 'Key'], aws: [4, 'Aws'] },
  Aws: { explicit_config: [1, 'AwsExplicitConfig'], service_name: [3, 'string'] },
  AwsExplicitConfig: {
    access_key_id: [1, 'string'],
    secret_access_key: [2, 'string'],
    region: [3, 'string'],
    session_token: [4, 'string'],
  },
  Key: { secret: [1, 'string'], authorization_location: [2, 'AuthorizationLocation'] },
  AuthorizationLocation: {
    header: [1, 'AuthorizationLocation.Header'],
    query_parameter: [2, 'AuthorizationLocation.QueryParameter'],
    cookie: [3, 'AuthorizationLocation.Cookie'],
  },
  'AuthorizationLocation.Cookie': { name: [1, 'string'] },
  'AuthorizationLocation.Header': { name: [1, 'string'], prefix: [2, 'string'] },
  'AuthorizationLocation.QueryParameter': { name: [1, 'string'] },
  StaticBackend: { host: [1, 'string'], port: [2, 'int32'], unix_path: [3, 'string'] },
  BackendPolicySpec: {
    inference_routing: [2, 'BackendPolicySpec.InferenceRouting'],
    backend_tls: [3, 'BackendPolicySpec.BackendTLS'],
    request_header_modifier: [8, 'HeaderModifier'],
    response_header_modifier: [9, 'HeaderModifier'],
    auth: [4, 'BackendAuthPolicy'],
    mcp_authorization: [5, 'BackendPolicySpec.McpAuthorization'],
    mcp_authentication: [6, 'BackendPolicySpec.McpAuthentication'],
    backend_http: [12, 'BackendPolicySpec.BackendHTTP'],
    backend_tcp: [13, 'BackendPolicySpec.BackendTCP'],
    health: [15, 'BackendPolicySpec.Health'],
  },
  'BackendPolicySpec.BackendHTTP': {
    version: [1, 'BackendPolicySpec.BackendHTTP.HttpVersion'],
    request_timeout: [2, 'google.protobuf.Duration'],
  },
  'BackendPolicySpec.Health': {
    unhealthy_condition: [1, 'string'],
    eviction: [2, 'BackendPolicySpec.Eviction'],
  },
  'BackendPolicySpec.Eviction': {
    duration: [1, 'google.protobuf.Duration'],
    consecutive_failures: [5, 'int32'],
  },
  'BackendPolicySpec.BackendTCP': {
    keepalive: [1, 'KeepaliveConfig'],
    connect_timeout: [2, 'google.protobuf.Duration'],
  },
  KeepaliveConfig: {
    time: [1, 'google.protobuf.Duration'],
    interval: [2, 'google.protobuf.Duration'],
    retries: [3, 'uint32'],
  },
  Alpn: { protocols: [1, 'string', 'repeated'] },
  'BackendPolicySpec.McpAuthorization': {
    allow: [1, 'string', 'repeated'],
    deny: [2, 'string', 'repeated'],
    require: [3, 'string', 'repeated'],
  },
  'BackendPolicySpec.McpAuthentication': {
    issuer: [1, 'string'],
    audiences: [2, 'string', 'repeated'],
    jwks_inline: [3, 'string'],
    provider: [4, 'BackendPolicySpec.McpAuthentication.McpIDP'],
    resource_metadata: [5, 'BackendPolicySpec.McpAuthentication.ResourceMetadata'],
    mode: [6, 'BackendPolicySpec.McpAuthentication.Mode'],
  },
  'BackendPolicySpec.McpAuthentication.ResourceMetadata': {
    extra: [1, 'google.protobuf.Value', 'map'],
  },
  'BackendPolicySpec.InferenceRouting': {
    endpoint_picker: [1, 'BackendReference'],
    failure_mode: [2, 'BackendPolicySpec.InferenceRouting.FailureMode'],
  },
  'BackendPolicySpec.BackendTLS': {
    cert: [1, 'bytes'],
    key: [2, 'bytes'],
    root: [3, 'bytes'],
    verification: [4, 'BackendPolicySpec.BackendTLS.VerificationMode'],
    alpn: [7, 'Alpn'],
    hostname: [5, 'string'],
    verify_subject_alt_names: [6, 'string', 'repeated'],
  },
  TrafficPolicySpec: {
    timeout: [2, 'Timeout'],
    retry: [3, 'Retry'],
    request_header_modifier: [12, 'HeaderModifier'],
    response_header_modifier: [13, 'HeaderModifier'],
    request_redirect: [14, 'RequestRedirect'],
    url_rewrite: [15, 'UrlRewrite'],
    request_mirror: [16, 'RequestMirrors'],
    direct_response: [17, 'DirectResponse'],
    cors: [18, 'CORS'],
    local_rate_limit: [4, 'TrafficPolicySpec.LocalRateLimit'],
    ext_authz: [5, 'TrafficPolicySpec.ExternalAuth'],
    authorization: [6, 'TrafficPolicySpec.RBAC'],
    jwt: [7, 'TrafficPolicySpec.JWT'],
    transformation: [8, 'TrafficPolicySpec.TransformationPolicy'],
    remote_rate_limit: [9, 'TrafficPolicySpec.RemoteRateLimit'],
    basic_auth: [19, 'TrafficPolicySpec.BasicAuthentication'],
    api_key_auth: [20, 'TrafficPolicySpec.APIKey'],
    ext_proc: [11, 'TrafficPolicySpec.ExtProc'],
  },
  'TrafficPolicySpec.ExtProc': {
    target: [1, 'BackendReference'],
    failure_mode: [2, 'TrafficPolicySpec.ExtProc.FailureMode'],
    processing_options: [6, 'TrafficPolicySpec.ExtProc.ProcessingOptions'],
  },
  'TrafficPolicySpec.ExtProc.ProcessingOptions': {
    request_body_mode: [1, 'TrafficPolicySpec.ExtProc.BodySendMode'],
    response_body_mode: [2, 'TrafficPolicySpec.ExtProc.BodySendMode'],
    request_header_mode: [3, 'TrafficPolicySpec.ExtProc.HeaderTrailerSendMode'],
    response_header_mode: [4, 'TrafficPolicySpec.ExtProc.HeaderTrailerSendMode'],
    request_trailer_mode: [5, 'TrafficPolicySpec.ExtProc.HeaderTrailerSendMode'],
    response_trailer_mode: [6, 'TrafficPolicySpec.ExtProc.HeaderTrailerSendMode'],
    allow_mode_override: [7, 'bool'],
  },
  'TrafficPolicySpec.LocalRateLimit': {
    max_tokens: [1, 'uint64'],
    tokens_per_fill: [2, 'uint64'],
    fill_interval: [3, 'google.protobuf.Duration'],
    type: [4, 'TrafficPolicySpec.LocalRateLimit.Type'],
  },
  'TrafficPolicySpec.RemoteRateLimit': {
    domain: [1, 'string'],
    descriptors: [2, 'TrafficPolicySpec.RemoteRateLimit.Descriptor', 'repeated'],
    target: [3, 'BackendReference'],
    failure_mode: [4, 'TrafficPolicySpec.RemoteRateLimit.FailureMode'],
  },
  'TrafficPolicySpec.RemoteRateLimit.Descriptor': {
    entries: [1, 'TrafficPolicySpec.RemoteRateLimit.Entry', 'repeated'],
    type: [2, 'TrafficPolicySpec.RemoteRateLimit.Type'],
  },
  'TrafficPolicySpec.RemoteRateLimit.Entry': { key: [1, 'string'], value: [2, 'string'] },
  'TrafficPolicySpec.ExternalAuth': {
    target: [1, 'BackendReference'],
    grpc: [2, 'TrafficPolicySpec.ExternalAuth.GRPCProtocol'],
    http: [3, 'TrafficPolicySpec.ExternalAuth.HTTPProtocol'],
    failure_mode: [4, 'TrafficPolicySpec.ExternalAuth.FailureMode'],
    status_on_error: [5, 'uint32'],
    include_request_headers: [6, 'string', 'repeated'],
    include_request_body: [7, 'TrafficPolicySpec.ExternalAuth.BodyOptions'],
  },
  'TrafficPolicySpec.ExternalAuth.BodyOptions': {
    max_request_bytes: [1, 'uint32'],
    allow_partial_message: [2, 'bool'],
    pack_as_bytes: [3, 'bool'],
  },
  'TrafficPolicySpec.ExternalAuth.GRPCProtocol': {
    context: [1, 'string', 'map'],
    metadata: [2, 'string', 'map'],
  },
  'TrafficPolicySpec.ExternalAuth.HTTPProtocol': {
    path: [1, 'string'],
    redirect: [2, 'string'],
    include_response_headers: [3, 'string', 'repeated'],
    add_request_headers: [4, 'string', 'map'],
    metadata: [5, 'string', 'map'],
  },
  'TrafficPolicySpec.RBAC': {
    allow: [1, 'string', 'repeated'],
    deny: [2, 'string', 'repeated'],
    require: [3, 'string', 'repeated'],
  },
  'TrafficPolicySpec.JWTProvider': {
    issuer: [1, 'string'],
    audiences: [2, 'string', 'repeated'],
    inline: [3, 'string'],
    jwt_validation_options: [4, 'JWTValidationOptions'],
  },
  'TrafficPolicySpec.JWT': {
    mode: [1, 'TrafficPolicySpec.JWT.Mode'],
    providers: [2, 'TrafficPolicySpec.JWTProvider', 'repeated'],
    authorization_location: [4, 'AuthorizationLocation'],
  },
  JWTValidationOptions: { required_claims: [1, 'string', 'repeated'] },
  'TrafficPolicySpec.BasicAuthentication': {
    htpasswd_content: [1, 'string'],
    realm: [2, 'string'],
    mode: [3, 'TrafficPolicySpec.BasicAuthentication.Mode'],
    authorization_location: [4, 'AuthorizationLocation'],
  },
  'TrafficPolicySpec.APIKey': {
    api_keys: [1, 'TrafficPolicySpec.APIKey.User', 'repeated'],
    mode: [2, 'TrafficPolicySpec.APIKey.Mode'],
    authorization_location: [3, 'AuthorizationLocation'],
  },
  'TrafficPolicySpec.APIKey.User': { key: [1, 'string'], metadata: [2, 'google.protobuf.Struct'] },
  'TrafficPolicySpec.TransformationPolicy': {
    request: [1, 'TrafficPolicySpec.TransformationPolicy.Transform'],
    response: [2, 'TrafficPolicySpec.TransformationPolicy.Transform'],
  },
  'TrafficPolicySpec.TransformationPolicy.Transform': {
    set: [1, 'TrafficPolicySpec.HeaderTransformation', 'repeated'],
    add: [2, 'TrafficPolicySpec.HeaderTransformation', 'repeated'],
    remove: [3, 'string', 'repeated'],
  },
  'TrafficPolicySpec.HeaderTransformation': { name: [1, 'string'], expression: [2, 'string'] },
  Timeout: { request: [1, 'google.protobuf.Duration'], backend_request: [2, 'google.protobuf.Duration'] },
  Retry: {
    retry_status_codes: [1, 'int32', 'repeated'],
    attempts: [2, 'int32'],
    backoff: [3, 'google.protobuf.Duration'],
  },
  Header: { name: [1, 'string'], value: [2, 'string'] },
  HeaderModifier: {
    add: [1, 'Header', 'repeated'],
    set: [2, 'Header', 'repeated'],
    remove: [3, 'string', 'repeated'],
  },
  RequestRedirect: {
    scheme: [1, 'string'],
    host: [2, 'string'],
    full: [3, 'string'],
    prefix: [4, 'string'],
    port: [5, 'uint32'],
    status: [6, 'uint32'],
  },
  UrlRewrite: { host: [1, 'string'], full: [2, 'string'], prefix: [3, 'string'] },
  RequestMirrors: { mirrors: [1, 'RequestMirrors.Mirror', 'repeated'] },
  'RequestMirrors.Mirror': { backend: [1, 'BackendReference'], percentage: [2, 'double'] },
  DirectResponse: { status: [1, 'uint32'], body: [2, 'bytes'] },
  CORS: {
    allow_credentials: [1, 'bool'],
    allow_headers: [2, 'string', 'repeated'],
    allow_methods: [3, 'string', 'repeated'],
    allow_origins: [4, 'string', 'repeated'],
    expose_headers: [5, 'string', 'repeated'],
    max_age: [6, 'google.protobuf.Duration'],
  },
};

/** istio.workload: message → field → [number, type, rule]; `map` fields have string keys. */
const UPSTREAM_WORKLOAD_FIELDS: Readonly<
  Record<string, Readonly<Record<string, readonly [number, string, string?]>>>
> = {
  Service: {
    name: [1, 'string'],
    namespace: [2, 'string'],
    hostname: [3, 'string'],
    ports: [5, 'Port', 'repeated'],
  },
  Workload: {
    uid: [20, 'string'],
    name: [1, 'string'],
    namespace: [2, 'string'],
    addresses: [3, 'bytes', 'repeated'],
    services: [22, 'PortList', 'map'],
  },
  PortList: { ports: [1, 'Port', 'repeated'] },
  Port: { service_port: [1, 'uint32'], target_port: [2, 'uint32'], app_protocol: [3, 'AppProtocol'] },
};

/** Oneofs upstream groups fields into (a oneof member on the wire is a plain optional field, but JSON differs). */
const UPSTREAM_ONEOFS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  Resource: {
    kind: ['bind', 'listener', 'route', 'backend', 'tcp_route', 'workload', 'service', 'model_route'],
  },
  PathMatch: { kind: ['exact', 'path_prefix', 'regex'] },
  HeaderMatch: { value: ['exact', 'regex'] },
  QueryMatch: { value: ['exact', 'regex'] },
  BackendReference: { kind: ['service', 'backend'] },
  Backend: { kind: ['static', 'ai', 'mcp'] },
  'AIBackend.Provider': { provider: ['openai', 'anthropic', 'bedrock', 'azure'] },
  ModelRoute: { kind: ['concrete_model'] },
  Aws: { kind: ['explicit_config'] },
  BackendPolicySpec: {
    kind: [
      'inference_routing',
      'backend_tls',
      'request_header_modifier',
      'response_header_modifier',
      'auth',
      'mcp_authorization',
      'mcp_authentication',
      'backend_http',
      'backend_tcp',
      'health',
    ],
  },
  'TrafficPolicySpec.ExternalAuth': { protocol: ['grpc', 'http'] },
  'TrafficPolicySpec.JWTProvider': { jwks_source: ['inline'] },
  BackendAuthPolicy: { kind: ['key', 'aws'] },
  AuthorizationLocation: { kind: ['header', 'query_parameter', 'cookie'] },
  TrafficPolicySpec: { kind: Object.keys(UPSTREAM_FIELDS.TrafficPolicySpec!) },
  RequestRedirect: { path: ['full', 'prefix'] },
  UrlRewrite: { path: ['full', 'prefix'] },
};

const UPSTREAM_ENUMS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'Bind.Protocol': { HTTP: 0, TCP: 1, TLS: 2 },
  Protocol: { UNKNOWN: 0, HTTP: 1, HTTPS: 2, TLS: 3, TCP: 4, HBONE: 5 },
  'BackendPolicySpec.InferenceRouting.FailureMode': { UNKNOWN: 0, FAIL_CLOSED: 1, FAIL_OPEN: 2 },
  'MCPBackend.StatefulMode': { STATEFUL: 0, STATELESS: 1 },
  'MCPBackend.PrefixMode': { CONDITIONAL: 0, ALWAYS: 1 },
  'MCPBackend.FailureMode': { FAIL_CLOSED: 0, FAIL_OPEN: 1 },
  'MCPTarget.Protocol': { UNDEFINED: 0, SSE: 1, STREAMABLE_HTTP: 2 },
  'BackendPolicySpec.McpAuthentication.McpIDP': { UNSPECIFIED: 0, AUTH0: 1, KEYCLOAK: 2, OKTA: 3 },
  'BackendPolicySpec.McpAuthentication.Mode': { OPTIONAL: 0, STRICT: 1, PERMISSIVE: 2 },
  'ModelRoute.ConcreteModel.ModelVisibility': { PUBLIC: 0, INTERNAL: 1 },
  'AIBackend.AzureResourceType': { OPEN_AI: 0, FOUNDRY: 1 },
  'BackendPolicySpec.BackendTLS.VerificationMode': { STRICT: 0, INSECURE_HOST: 1, INSECURE_ALL: 2 },
  'BackendPolicySpec.BackendHTTP.HttpVersion': { UNSPECIFIED: 0, HTTP1: 1, HTTP2: 2 },
  'TLSConfig.TLSVersion': { TLS_VERSION_UNSPECIFIED: 0, TLS_V1_2: 3, TLS_V1_3: 4 },
  'TLSConfig.MTLSMode': { STRICT: 0, ALLOW_INSECURE_FALLBACK: 1, DISABLE: 2 },
  'TLSConfig.CipherSuite': {
    CIPHER_SUITE_UNSPECIFIED: 0,
    TLS_AES_256_GCM_SHA384: 1,
    TLS_AES_128_GCM_SHA256: 2,
    TLS_CHACHA20_POLY1305_SHA256: 3,
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 4,
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 5,
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 6,
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 7,
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 8,
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 9,
  },
  'TLSConfig.KeyExchangeGroup': {
    KEY_EXCHANGE_GROUP_UNSPECIFIED: 0,
    X25519: 1,
    P256: 2,
    P384: 3,
    X25519_MLKEM768: 4,
  },
  'TrafficPolicySpec.LocalRateLimit.Type': { REQUEST: 0, TOKEN: 1 },
  'TrafficPolicySpec.RemoteRateLimit.Type': { REQUESTS: 0, TOKENS: 1 },
  'TrafficPolicySpec.RemoteRateLimit.FailureMode': { FAIL_CLOSED: 0, FAIL_OPEN: 1 },
  'TrafficPolicySpec.ExternalAuth.FailureMode': { DENY: 0, ALLOW: 1, DENY_WITH_STATUS: 2 },
  'TrafficPolicySpec.JWT.Mode': { OPTIONAL: 0, STRICT: 1, PERMISSIVE: 2 },
  'TrafficPolicySpec.BasicAuthentication.Mode': { STRICT: 0, OPTIONAL: 1 },
  'TrafficPolicySpec.APIKey.Mode': { STRICT: 0, OPTIONAL: 1, PERMISSIVE: 2 },
  'TrafficPolicySpec.ExtProc.FailureMode': { FAIL_CLOSED: 0, FAIL_OPEN: 1 },
  'TrafficPolicySpec.ExtProc.BodySendMode': {
    NONE: 0,
    BUFFERED: 2,
    BUFFERED_PARTIAL: 3,
    FULL_DUPLEX_STREAMED: 4,
  },
  'TrafficPolicySpec.ExtProc.HeaderTrailerSendMode': { UNSET: 0, SEND: 1, SKIP: 2 },
};

const UPSTREAM_WORKLOAD_ENUMS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AppProtocol: { UNKNOWN: 0, HTTP11: 1, HTTP2: 2, GRPC: 3, TCP: 4, TLS: 5 },
};

const SCALARS = new Set(['string', 'bytes', 'bool', 'double', 'int32', 'uint32', 'uint64']);

function qualified(type: string, pkg = PKG): string {
  return SCALARS.has(type) || type.startsWith('google.') || type.startsWith('istio.')
    ? type
    : `${pkg}.${type}`;
}

/** Every message declared under a package, nested ones included. */
function messagesOf(ns: protobuf.NamespaceBase): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) out.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type)
      out.push(...messagesOf(nested));
  }
  return out;
}

/** Checks one message's fields against the facts: name, number, type, and rule (repeated, map, singular). */
function expectFields(
  type: protobuf.Type,
  expected: Readonly<Record<string, readonly [number, string, string?]>>,
  pkg: string,
): void {
  expect(Object.keys(type.fields).sort()).toEqual(Object.keys(expected).sort());
  for (const [fieldName, [id, fieldType, rule]] of Object.entries(expected)) {
    const field = type.fields[fieldName]!;
    expect({ field: fieldName, id: field.id }).toEqual({ field: fieldName, id });
    const resolved = field.resolvedType?.fullName.replace(/^\./, '') ?? field.type;
    expect({ field: fieldName, type: resolved }).toEqual({
      field: fieldName,
      type: qualified(fieldType, pkg),
    });
    expect({ field: fieldName, repeated: field.repeated }).toEqual({
      field: fieldName,
      repeated: rule === 'repeated',
    });
    const keyType = field instanceof protobuf.MapField ? field.keyType : undefined;
    expect({ field: fieldName, mapKey: keyType }).toEqual({
      field: fieldName,
      mapKey: rule === 'map' ? 'string' : undefined,
    });
  }
}

describe('protos/agentgateway wire compatibility', () => {
  const api = agentgatewayApi();
  const ours = api.root.lookup(PKG) as protobuf.Namespace;
  const messages = messagesOf(ours);
  const workload = api.root.lookup(WORKLOAD_PKG) as protobuf.Namespace;

  it('declares only messages upstream has, and every one of them', () => {
    const names = messages.map((m) => m.fullName.slice(PKG.length + 2)).sort();
    expect(names).toEqual(Object.keys(UPSTREAM_FIELDS).sort());
  });

  it.each(Object.keys(UPSTREAM_FIELDS))(
    '%s: every field matches upstream name, number, type and rule',
    (name) => {
      expectFields(api.messageType(`${PKG}.${name}`), UPSTREAM_FIELDS[name]!, PKG);
    },
  );

  it.each(Object.keys(UPSTREAM_ONEOFS))('%s: oneofs group the fields upstream groups', (name) => {
    const type = api.messageType(`${PKG}.${name}`);
    const actual = Object.fromEntries(
      (type.oneofsArray ?? [])
        .filter((o) => !o.name.startsWith('_')) // proto3 `optional` makes a synthetic oneof
        .map((o) => [o.name, o.fieldsArray.map((f) => f.name).sort()]),
    );
    const expected = Object.fromEntries(
      Object.entries(UPSTREAM_ONEOFS[name]!).map(([k, v]) => [k, [...v].sort()]),
    );
    expect(actual).toEqual(expected);
  });

  it('has every message with a oneof in the oneof table', () => {
    const withOneofs = messages
      .filter((m) => (m.oneofsArray ?? []).some((o) => !o.name.startsWith('_')))
      .map((m) => m.fullName.slice(PKG.length + 2))
      .sort();
    expect(withOneofs).toEqual(Object.keys(UPSTREAM_ONEOFS).sort());
  });

  it.each(Object.keys(UPSTREAM_ENUMS))('enum %s has upstream values', (name) => {
    const found = api.root.lookupEnum(`${PKG}.${name}`);
    expect(found.values).toEqual(UPSTREAM_ENUMS[name]);
  });

  it('declares only istio.workload messages upstream has, and every one of them', () => {
    const names = messagesOf(workload)
      .map((m) => m.fullName.slice(WORKLOAD_PKG.length + 2))
      .sort();
    expect(names).toEqual(Object.keys(UPSTREAM_WORKLOAD_FIELDS).sort());
  });

  it.each(Object.keys(UPSTREAM_WORKLOAD_FIELDS))(
    'istio.workload.%s: every field matches upstream name, number, type and rule',
    (name) => {
      const type = api.messageType(`${WORKLOAD_PKG}.${name}`);
      expectFields(type, UPSTREAM_WORKLOAD_FIELDS[name]!, WORKLOAD_PKG);
      expect((type.oneofsArray ?? []).filter((o) => !o.name.startsWith('_'))).toEqual([]);
    },
  );

  it.each(Object.keys(UPSTREAM_WORKLOAD_ENUMS))('enum istio.workload.%s has upstream values', (name) => {
    expect(api.root.lookupEnum(`${WORKLOAD_PKG}.${name}`).values).toEqual(UPSTREAM_WORKLOAD_ENUMS[name]);
  });

  it('round-trips a Resource through the wire format under its type URL', () => {
    const json = { bind: { key: '80/default/gw', port: 80, protocol: 'TLS' } };
    const any = api.packResource(json);
    expect(any.type_url).toBe(AGENTGATEWAY_TYPE_URL.resource);
    // Field 1 (bind), length-delimited: tag byte 0x0a.
    expect(any.value[0]).toBe(0x0a);
    expect(api.decodeResource(any.value)).toEqual(json);
  });

  it('names the field when JSON does not fit the proto', () => {
    expect(() => api.encodeResource({ route: { nosuch: 1 } })).toThrow(/nosuch/);
  });
});
