// Envoy Gateway's ClientTrafficPolicy (gateway.envoyproxy.io/v1alpha1, field names and meaning as in Envoy
// Gateway v1.9): how the data plane treats the connections and requests of clients on the Gateways and listeners
// it targets — TCP keepalive, PROXY protocol, client IP detection, TLS and client certificates, path
// normalisation, headers, timeouts, connection limits, HTTP/1, HTTP/2. Its fields are described once, as a
// FieldSchema: the CRD is generated from it and files-mode objects are checked against it. Parts Switchyard does
// not support are described loosely (`free`) and refused by name (model/policies/client-traffic-policy.ts).

import { TLS_SETTINGS_FIELDS } from './envoy-gateway.ts';
import {
  http2Settings,
  objectRef,
  type PolicyObject,
  type PolicyTargetReferences,
  type SecretObjectReference,
  targets,
} from './envoy-gateway-policy-base.ts';
import { bool, duration, type FieldSchema, free, int, list, obj, quantity, str } from './field-schema.ts';

// ---- Shape (what the rules read; every field optional: objects come from users) ---------------------------

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

export type ClientTrafficPolicy = PolicyObject<'ClientTrafficPolicy', ClientTrafficPolicySpec>;

// ---- Schema -------------------------------------------------------------------------------------------------

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
  http2: http2Settings,
  http3: free,
  grpc: free,
  healthCheck: free,
  scheme: str(['Preserve', 'MatchBackend']),
});
