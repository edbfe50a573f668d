// ClientTrafficPolicy (the IR's ListenerIR.clientTraffic) on Envoy: fields of the connection manager (client IP
// detection, path normalisation, request ids, XFCC, HTTP timeouts and protocol options), of the router (Envoy's
// x-envoy-* headers), of the listener (buffer limit, TCP keepalive) and of the TLS context (versions, ciphers,
// ALPN, client certificate validation), and the connection_limit network filter. Listeners that share one
// Envoy listener (a port) or one connection manager (plain HTTP on a port) share those parts: the most specific
// listener's policy wins and a different one on the same port is reported as a problem. So does its HTTP/1.0
// default host (`http10.useDefaultHost`): Envoy has one per connection manager, and the plain-HTTP listeners of a
// port share one, so it is that of the port's first listener (most specific hostname first) the policy applies to.
import type { ClientValidationIR, ListenerIR } from '../../model/ir/gateway-ir.ts';
import type { ClientTrafficIR } from '../../model/ir/policies.ts';
import { protoDuration } from './duration.ts';
import { type Json, TYPE } from './envoy-types.ts';

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

const CUSTOM_HEADER_DETECTION = 'envoy.http.original_ip_detection.custom_header';
const CUSTOM_HEADER_TYPE =
  'type.googleapis.com/envoy.extensions.http.original_ip_detection.custom_header.v3.CustomHeaderConfig';
const PRESERVE_CASE = {
  name: 'preserve_case',
  typedConfig: {
    '@type':
      'type.googleapis.com/envoy.extensions.http.header_formatters.preserve_case.v3.PreserveCaseFormatterConfig',
  },
};
const CONNECTION_LIMIT_FILTER = 'envoy.filters.network.connection_limit';
const CONNECTION_LIMIT_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit';
// Linux socket option numbers (SOL_SOCKET/SO_KEEPALIVE, IPPROTO_TCP/TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT).
const SOL_SOCKET = 1;
const SO_KEEPALIVE = 9;
const IPPROTO_TCP = 6;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;

/** The policy in force for listeners that share one Envoy object; a second, different one is a problem. */
export function sharedClientTraffic(
  listeners: readonly ListenerIR[],
  owner: string,
  problems: string[],
): ClientTrafficIR | undefined {
  const policies = listeners.flatMap((l) => (l.clientTraffic === undefined ? [] : [l.clientTraffic]));
  const first = policies[0];
  const other = policies.find(
    (p) => p.policy.name !== first?.policy.name || p.policy.namespace !== first?.policy.namespace,
  );
  if (first !== undefined && other !== undefined) {
    problems.push(
      `${owner}: ClientTrafficPolicies ${first.policy.namespace ?? ''}/${first.policy.name} and ${other.policy.namespace ?? ''}/${other.policy.name} apply to listeners sharing it; the first applies`,
    );
  }
  return first;
}

/** Fields of an HTTP connection manager's typed config. */
export function connectionManagerFields(policy: ClientTrafficIR | undefined): Json {
  if (policy === undefined) return {};
  const fields: Json = {};
  const detection = policy.clientIPDetection;
  if (detection?.kind === 'xff') fields.xffNumTrustedHops = detection.numTrustedHops;
  if (detection?.kind === 'customHeader') {
    fields.originalIpDetectionExtensions = [
      {
        name: CUSTOM_HEADER_DETECTION,
        typedConfig: {
          '@type': CUSTOM_HEADER_TYPE,
          headerName: detection.header,
          ...(detection.failClosed ? { rejectWithStatus: { code: 'Forbidden' } } : {}),
        },
      },
    ];
  }
  if (policy.path !== undefined) {
    fields.mergeSlashes = policy.path.mergeSlashes;
    if (policy.path.escapedSlashesAction !== undefined)
      fields.pathWithEscapedSlashesAction = policy.path.escapedSlashesAction;
  }
  const headers = policy.headers;
  if (headers?.requestID !== undefined) {
    fields.generateRequestId = headers.requestID.generate;
    fields.preserveExternalRequestId = headers.requestID.preserveExternal;
  }
  if (headers?.xForwardedClientCert !== undefined) {
    fields.forwardClientCertDetails = headers.xForwardedClientCert.mode;
    const details = headers.xForwardedClientCert.details;
    if (details.length > 0) {
      fields.setCurrentClientCertDetails = {
        ...(details.includes('Subject') ? { subject: true } : {}),
        ...(details.includes('Cert') ? { cert: true } : {}),
        ...(details.includes('Chain') ? { chain: true } : {}),
        ...(details.includes('DNS') ? { dns: true } : {}),
        ...(details.includes('URI') ? { uri: true } : {}),
      };
    }
  }
  const timeout = policy.timeout;
  if (timeout?.requestReceivedMs !== undefined)
    fields.requestTimeout = protoDuration(timeout.requestReceivedMs);
  if (timeout?.requestHeadersReceivedMs !== undefined)
    fields.requestHeadersTimeout = protoDuration(timeout.requestHeadersReceivedMs);
  if (timeout?.streamIdleMs !== undefined) fields.streamIdleTimeout = protoDuration(timeout.streamIdleMs);
  const common: Json = {};
  if (timeout?.idleMs !== undefined) common.idleTimeout = protoDuration(timeout.idleMs);
  const connection = policy.connection;
  if (connection?.maxConnectionDurationMs !== undefined) {
    common.maxConnectionDuration = protoDuration(connection.maxConnectionDurationMs);
    if (connection.http1SafeMaxConnectionDuration === true) fields.http1SafeMaxConnectionDuration = true;
  }
  if (connection?.maxRequestsPerConnection !== undefined)
    common.maxRequestsPerConnection = connection.maxRequestsPerConnection;
  if (connection?.maxStreamDurationMs !== undefined)
    common.maxStreamDuration = protoDuration(connection.maxStreamDurationMs);
  if (headers?.withUnderscoresAction !== undefined)
    common.headersWithUnderscoresAction = headers.withUnderscoresAction;
  if (Object.keys(common).length > 0) fields.commonHttpProtocolOptions = common;
  if (policy.http1 !== undefined) {
    fields.httpProtocolOptions = {
      ...http1Options(policy.http1),
      ...(policy.http1.acceptHttp10 ? { acceptHttp10: true } : {}),
      ...(policy.http1.defaultHost === undefined ? {} : { defaultHostForHttp10: policy.http1.defaultHost }),
    };
  }
  if (policy.http2 !== undefined) {
    const http2 = policy.http2;
    fields.http2ProtocolOptions = {
      initialStreamWindowSize: http2.initialStreamWindowSize,
      initialConnectionWindowSize: http2.initialConnectionWindowSize,
      maxConcurrentStreams: http2.maxConcurrentStreams,
      ...(http2.terminateStreamOnInvalidMessage ? { overrideStreamErrorOnInvalidHttpMessage: true } : {}),
    };
  }
  return fields;
}

/** What a listener's HTTP/1 settings ask of the connections to its routes' backends too (trailers, header case). */
export type UpstreamHttp1 = Pick<
  NonNullable<ClientTrafficIR['http1']>,
  'enableTrailers' | 'preserveHeaderCase'
>;

/** The listener's HTTP/1 settings that its routes' clusters take (undefined when none). */
export function upstreamHttp1(policy: ClientTrafficIR | undefined): UpstreamHttp1 | undefined {
  const http1 = policy?.http1;
  if (http1 === undefined || (!http1.enableTrailers && !http1.preserveHeaderCase)) return undefined;
  return { enableTrailers: http1.enableTrailers, preserveHeaderCase: http1.preserveHeaderCase };
}

function http1Options(http1: UpstreamHttp1): Json {
  return {
    ...(http1.enableTrailers ? { enableTrailers: true } : {}),
    ...(http1.preserveHeaderCase ? { headerKeyFormat: { statefulFormatter: PRESERVE_CASE } } : {}),
  };
}

/** The suffix that keeps a backend's clusters for listeners with other HTTP/1 settings apart. */
export function upstreamHttp1Suffix(http1: UpstreamHttp1 | undefined): string {
  if (http1 === undefined) return '';
  return `/http1/${http1.enableTrailers ? 'trailers' : ''}${http1.preserveHeaderCase ? 'case' : ''}`;
}

/**
 * The cluster speaking HTTP/1 to its backend as the listener's HTTP/1 settings ask, as Envoy Gateway does: trailers
 * are passed on and header names keep the case they came with, both ways. An HTTP/2 cluster is left alone.
 */
export function withUpstreamHttp1(cluster: Json, http1: UpstreamHttp1 | undefined): Json {
  if (http1 === undefined) return cluster;
  const all = (cluster.typedExtensionProtocolOptions as Json | undefined) ?? {};
  const current = (all[HTTP_PROTOCOL_OPTIONS] as Json | undefined) ?? { '@type': TYPE.httpProtocolOptions };
  const downstream = current.useDownstreamProtocolConfig as Json | undefined;
  const explicit = current.explicitHttpConfig as Json | undefined;
  if (explicit?.http2ProtocolOptions !== undefined) return cluster;
  const merged = (options: unknown): Json => ({
    ...((options as Json | undefined) ?? {}),
    ...http1Options(http1),
  });
  const options =
    downstream !== undefined
      ? {
          ...current,
          useDownstreamProtocolConfig: {
            ...downstream,
            httpProtocolOptions: merged(downstream.httpProtocolOptions),
          },
        }
      : { ...current, explicitHttpConfig: { httpProtocolOptions: merged(explicit?.httpProtocolOptions) } };
  return { ...cluster, typedExtensionProtocolOptions: { ...all, [HTTP_PROTOCOL_OPTIONS]: options } };
}

/** Fields of the router filter's typed config. */
export function routerFields(policy: ClientTrafficIR | undefined): Json {
  const suppress = policy?.headers?.suppressEnvoyHeaders;
  return suppress === undefined ? {} : { suppressEnvoyHeaders: suppress };
}

/** Network filters ahead of the connection manager (a connection limit). */
export function connectionFilters(policy: ClientTrafficIR | undefined, statPrefix: string): Json[] {
  const limit = policy?.connection?.connectionLimit;
  if (limit === undefined) return [];
  return [
    {
      name: CONNECTION_LIMIT_FILTER,
      typedConfig: {
        '@type': CONNECTION_LIMIT_TYPE,
        statPrefix,
        maxConnections: limit.value,
        ...(limit.closeDelayMs === undefined ? {} : { delay: protoDuration(limit.closeDelayMs) }),
      },
    },
  ];
}

/** Fields of an Envoy Listener (a port): the per-connection buffer limit and TCP keepalive. */
export function listenerFields(policy: ClientTrafficIR | undefined): Json {
  if (policy === undefined) return {};
  const fields: Json = {};
  if (policy.connection?.bufferLimitBytes !== undefined)
    fields.perConnectionBufferLimitBytes = policy.connection.bufferLimitBytes;
  const keepalive = policy.tcpKeepalive;
  if (keepalive !== undefined) {
    const option = (level: number, name: number, value: number) => ({
      level: String(level),
      name: String(name),
      intValue: String(value),
      state: 'STATE_PREBIND',
    });
    fields.socketOptions = [
      option(SOL_SOCKET, SO_KEEPALIVE, 1),
      ...(keepalive.idleTimeS === undefined ? [] : [option(IPPROTO_TCP, TCP_KEEPIDLE, keepalive.idleTimeS)]),
      ...(keepalive.intervalS === undefined ? [] : [option(IPPROTO_TCP, TCP_KEEPINTVL, keepalive.intervalS)]),
      ...(keepalive.probes === undefined ? [] : [option(IPPROTO_TCP, TCP_KEEPCNT, keepalive.probes)]),
    ];
  }
  return fields;
}

/**
 * The DownstreamTlsContext with the policy's TLS settings: `commonTlsContext` gains tlsParams, its ALPN list and
 * (mTLS) a validation context trusting the policy's CAs; a required client certificate is demanded.
 */
export function withClientTls(tlsContext: Json, policy: ClientTrafficIR | undefined): Json {
  const tls = policy?.tls;
  if (tls === undefined) return tlsContext;
  const common = (tlsContext.commonTlsContext as Json | undefined) ?? {};
  const params: Json = {
    ...(tls.minVersion === undefined ? {} : { tlsMinimumProtocolVersion: tls.minVersion }),
    ...(tls.maxVersion === undefined ? {} : { tlsMaximumProtocolVersion: tls.maxVersion }),
    ...(tls.ciphers.length > 0 ? { cipherSuites: [...tls.ciphers] } : {}),
    ...(tls.ecdhCurves.length > 0 ? { ecdhCurves: [...tls.ecdhCurves] } : {}),
    ...(tls.signatureAlgorithms.length > 0 ? { signatureAlgorithms: [...tls.signatureAlgorithms] } : {}),
  };
  const { alpnProtocols: defaultAlpn, ...rest } = common;
  const alpn = tls.alpnProtocols ?? (defaultAlpn as string[] | undefined);
  return {
    ...tlsContext,
    commonTlsContext: {
      ...rest,
      ...(Object.keys(params).length > 0 ? { tlsParams: params } : {}),
      ...(alpn === undefined || alpn.length === 0 ? {} : { alpnProtocols: [...alpn] }),
      ...(tls.clientValidation === undefined
        ? {}
        : { validationContext: { trustedCa: { inlineString: tls.clientValidation.caBundle } } }),
    },
    ...(tls.clientValidation?.required === true ? { requireClientCertificate: true } : {}),
  };
}

/**
 * The Gateway's own client-certificate validation (`spec.tls.frontend`) over the DownstreamTlsContext, replacing
 * a policy's: AllowValidOnly demands a certificate that chains to the CAs; AllowInsecureFallback asks for one but
 * lets any client in (an untrusted certificate too), leaving authorization to the backends.
 */
export function withClientValidation(tlsContext: Json, validation: ClientValidationIR | undefined): Json {
  if (validation === undefined) return tlsContext;
  const { requireClientCertificate: _policy, ...rest } = tlsContext;
  const strict = validation.mode === 'AllowValidOnly';
  return {
    ...rest,
    commonTlsContext: {
      ...((tlsContext.commonTlsContext as Json | undefined) ?? {}),
      validationContext: {
        trustedCa: { inlineString: validation.caBundle },
        ...(strict ? {} : { trustChainVerification: 'ACCEPT_UNTRUSTED' }),
      },
    },
    ...(strict ? { requireClientCertificate: true } : {}),
  };
}
