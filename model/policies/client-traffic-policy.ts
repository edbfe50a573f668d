// ClientTrafficPolicy (gateway.envoyproxy.io/v1alpha1) → the IR's ClientTrafficIR for the listeners it attaches
// to (a Gateway, a listener by sectionName, a ListenerSet): client IP detection, TLS versions/ciphers/ALPN and
// client certificate validation (mTLS), path normalisation, header handling, HTTP timeouts, connection limits and
// buffer sizes, HTTP/1 and HTTP/2 settings, TCP keepalive. A field Switchyard does not support is refused with a
// condition naming it; the policy then does not apply — except when it asks for client certificate validation,
// which must not silently fall back to accepting anyone: then the listener's routes are denied.
import type { ClientTrafficIR } from '../ir/policies.ts';
import type { ClientTrafficPolicy, ClientTrafficPolicySpec } from '../resources/client-traffic-policy.ts';
import { keyOf } from '../resources/resource-key.ts';
import { parseGatewayDuration } from '../shared/durations.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { invalid, type PolicyKindRules, type PolicyVerdict } from './attachment.ts';
import { configMapValue, failure, type Resolved, secretValue } from './policy-backends.ts';

export const clientTrafficPolicyRules: PolicyKindRules<ClientTrafficIR> = {
  kind: 'ClientTrafficPolicy',
  targetKinds: ['Gateway', 'ListenerSet'],
  scope: 'listener',
  evaluate: (policy, view) => evaluateClientTrafficPolicy(policy as ClientTrafficPolicy, view),
  forListener: (ir, listener) => {
    if (ir.http1?.useDefaultHost !== true) return { ok: true, ir };
    const host = http10DefaultHost(listener.name, listener.hostname, listener.routeHostnames);
    if (!host.ok) {
      const mtls = ir.tls?.clientValidation !== undefined;
      return invalid(
        mtls ? host.message : `${host.message}; the policy does not apply there until then`,
        mtls,
      );
    }
    return { ok: true, ir: { ...ir, http1: { ...ir.http1, defaultHost: host.host } } };
  },
};

/**
 * The host an HTTP/1.0 request without one is routed by (`http1.http10.useDefaultHost`), as Envoy Gateway picks
 * it: the listener's hostname unless it is a wildcard; otherwise the one non-wildcard hostname of the routes on
 * the listener (several distinct ones, or none, and there is no default to pick: the policy cannot apply there).
 */
export function http10DefaultHost(
  listener: string,
  hostname: string | undefined,
  routeHostnames: readonly string[],
): { ok: true; host: string } | { ok: false; message: string } {
  if (hostname !== undefined && hostname !== '' && !hostname.includes('*'))
    return { ok: true, host: hostname };
  const exact = [...new Set(routeHostnames.filter((h) => h !== '' && !h.includes('*')))];
  if (exact.length === 1) return { ok: true, host: exact[0]! };
  const field = 'spec.http1.http10.useDefaultHost';
  const fix = 'give the listener a hostname, or exactly one of its routes a non-wildcard one';
  return {
    ok: false,
    message:
      exact.length === 0
        ? `${field}: listener ${listener} and its routes have only wildcard hostnames, so there is no default host; ${fix}`
        : `${field}: listener ${listener} has a wildcard hostname and its routes several non-wildcard ones (${exact.slice(0, 4).join(', ')}${exact.length > 4 ? ', …' : ''}), so there is no one default host; ${fix}`,
  };
}

/** Fields Switchyard does not enforce (refused by name when set). */
const UNSUPPORTED: readonly string[] = [
  'enableProxyProtocol',
  'proxyProtocol',
  'http3',
  'grpc',
  'healthCheck',
  'scheme',
  'clientIPDetection.xForwardedFor.trustedCIDRs',
  'clientIPDetection.xForwardedFor.disableXForwardedForAppend',
  'clientIPDetection.directSourceIP',
  'tls.fingerprints',
  'tls.session',
  'tls.clientValidation.spkiHashes',
  'tls.clientValidation.certificateHashes',
  'tls.clientValidation.subjectAltNames',
  'tls.clientValidation.crl',
  'tls.clientValidation.allowExpiredCertificate',
  'headers.disableRateLimitHeaders',
  'headers.earlyRequestHeaders',
  'headers.lateResponseHeaders',
  'headers.host',
  'timeout.tcp',
  'connection.socketBufferLimit',
  'http1.ignoredUpgradeTypes',
  'http2.connectionKeepalive',
];

function valueAt(spec: unknown, path: string): unknown {
  let value: unknown = spec;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The HTTP/2 settings' defaults in Envoy Gateway's API (64 KiB per stream, 1 MiB per connection, 100 streams). */
const HTTP2_DEFAULTS = {
  initialStreamWindowSize: 64 * 1024,
  initialConnectionWindowSize: 1024 * 1024,
  maxConcurrentStreams: 100,
} as const;

const TLS_VERSIONS: Readonly<Record<string, 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3'>> = {
  '1.0': 'TLSv1_0',
  '1.1': 'TLSv1_1',
  '1.2': 'TLSv1_2',
  '1.3': 'TLSv1_3',
};

export function evaluateClientTrafficPolicy(
  policy: ClientTrafficPolicy,
  view: ResourceView,
): PolicyVerdict<ClientTrafficIR> {
  const spec: ClientTrafficPolicySpec = policy.spec ?? {};
  const mtls = spec.tls?.clientValidation !== undefined;
  const refuse = (message: string) =>
    invalid<ClientTrafficIR>(
      mtls ? message : `${message}; the policy does not apply until this is fixed`,
      mtls,
    );
  for (const path of UNSUPPORTED) {
    const value = valueAt(spec, path);
    if (value !== undefined && value !== null && value !== false)
      return refuse(`spec.${path}: not supported by Switchyard; remove it`);
  }
  if ((spec.connection?.maxAcceptPerSocketEvent ?? 1) !== 1)
    return refuse('spec.connection.maxAcceptPerSocketEvent: only the default 1 is supported by Switchyard');
  const ms = (value: string | undefined, field: string): Resolved<number | undefined> => {
    if (value === undefined) return { ok: true, value: undefined };
    const parsed = parseGatewayDuration(value);
    return parsed === undefined
      ? failure(`${field}: "${value}" is not a duration`)
      : { ok: true, value: parsed };
  };
  const ir: { -readonly [K in keyof ClientTrafficIR]: ClientTrafficIR[K] } = { policy: keyOf(policy) };

  if (spec.tcpKeepalive !== undefined) {
    const idle = ms(spec.tcpKeepalive.idleTime, 'spec.tcpKeepalive.idleTime');
    const interval = ms(spec.tcpKeepalive.interval, 'spec.tcpKeepalive.interval');
    if (!idle.ok) return refuse(idle.message);
    if (!interval.ok) return refuse(interval.message);
    ir.tcpKeepalive = {
      ...(spec.tcpKeepalive.probes === undefined ? {} : { probes: spec.tcpKeepalive.probes }),
      ...(idle.value === undefined ? {} : { idleTimeS: Math.max(1, Math.round(idle.value / 1000)) }),
      ...(interval.value === undefined ? {} : { intervalS: Math.max(1, Math.round(interval.value / 1000)) }),
    };
  }

  const detection = spec.clientIPDetection;
  if (detection?.xForwardedFor !== undefined) {
    ir.clientIPDetection = { kind: 'xff', numTrustedHops: detection.xForwardedFor.numTrustedHops ?? 0 };
  } else if (detection?.customHeader !== undefined) {
    ir.clientIPDetection = {
      kind: 'customHeader',
      header: String(detection.customHeader.name ?? ''),
      failClosed: detection.customHeader.failClosed === true,
    };
  }

  if (spec.tls !== undefined) {
    const tls = spec.tls;
    const version = (value: string | undefined, field: string) => {
      if (value === undefined || value === 'Auto') return { ok: true as const, value: undefined };
      const mapped = TLS_VERSIONS[value];
      return mapped === undefined
        ? failure<undefined>(`${field}: "${value}" is not a TLS version`)
        : { ok: true as const, value: mapped };
    };
    const min = version(tls.minVersion, 'spec.tls.minVersion');
    const max = version(tls.maxVersion, 'spec.tls.maxVersion');
    if (!min.ok) return refuse(min.message);
    if (!max.ok) return refuse(max.message);
    let clientValidation: NonNullable<ClientTrafficIR['tls']>['clientValidation'];
    if (tls.clientValidation !== undefined) {
      const mode =
        tls.clientValidation.mode ??
        (tls.clientValidation.optional === true ? 'VerifyIfGiven' : 'RequireAndVerify');
      if (mode !== 'RequireAndVerify' && mode !== 'VerifyIfGiven')
        return refuse(
          `spec.tls.clientValidation.mode: ${mode} is not supported by Switchyard; use RequireAndVerify or VerifyIfGiven`,
        );
      const refs = tls.clientValidation.caCertificateRefs ?? [];
      if (refs.length === 0)
        return refuse('spec.tls.clientValidation.caCertificateRefs: at least one CA is required');
      const bundle: string[] = [];
      for (const [i, ref] of refs.entries()) {
        const field = `spec.tls.clientValidation.caCertificateRefs[${i}]`;
        const pem =
          ref?.kind === 'Secret'
            ? (() => {
                const secret = secretValue(policy, ref, 'ca.crt', view, field);
                return secret.ok ? ({ ok: true, value: secret.value.data['ca.crt']! } as const) : secret;
              })()
            : (ref?.kind ?? 'ConfigMap') === 'ConfigMap' &&
                (ref?.namespace ?? policy.metadata.namespace) === policy.metadata.namespace
              ? configMapValue(policy, String(ref?.name ?? ''), 'ca.crt', view, field, false)
              : failure<string>(`${field}: a ConfigMap in the policy's namespace or a Secret is required`);
        if (!pem.ok) return refuse(pem.message);
        if (!pem.value.includes('-----BEGIN CERTIFICATE-----'))
          return refuse(`${field}: ca.crt holds no PEM certificate`);
        bundle.push(pem.value.trim());
      }
      clientValidation = { required: mode === 'RequireAndVerify', caBundle: `${bundle.join('\n')}\n` };
    }
    ir.tls = {
      ...(min.value === undefined ? {} : { minVersion: min.value }),
      ...(max.value === undefined ? {} : { maxVersion: max.value }),
      ciphers: [...(tls.ciphers ?? [])],
      ecdhCurves: [...(tls.ecdhCurves ?? [])],
      signatureAlgorithms: [...(tls.signatureAlgorithms ?? [])],
      ...(tls.alpnProtocols === undefined ? {} : { alpnProtocols: [...tls.alpnProtocols] }),
      ...(clientValidation === undefined ? {} : { clientValidation }),
    };
  }

  if (spec.path !== undefined) {
    const actions = {
      KeepUnchanged: 'KEEP_UNCHANGED',
      RejectRequest: 'REJECT_REQUEST',
      UnescapeAndForward: 'UNESCAPE_AND_FORWARD',
      UnescapeAndRedirect: 'UNESCAPE_AND_REDIRECT',
    } as const;
    const action = spec.path.escapedSlashesAction;
    ir.path = {
      ...(action === undefined ? {} : { escapedSlashesAction: actions[action as keyof typeof actions] }),
      mergeSlashes: spec.path.disableMergeSlashes !== true,
    };
  }

  if (spec.headers !== undefined) {
    const headers = spec.headers;
    const underscores = {
      Allow: 'ALLOW',
      RejectRequest: 'REJECT_REQUEST',
      DropHeader: 'DROP_HEADER',
    } as const;
    const requestIDs = {
      PreserveOrGenerate: { generate: true, preserveExternal: true },
      Preserve: { generate: false, preserveExternal: true },
      Generate: { generate: true, preserveExternal: false },
      Disable: { generate: false, preserveExternal: false },
    } as const;
    const requestID =
      headers.requestID ?? (headers.preserveXRequestID === true ? 'PreserveOrGenerate' : undefined);
    const xfcc = headers.xForwardedClientCert;
    const modes = {
      Sanitize: 'SANITIZE',
      ForwardOnly: 'FORWARD_ONLY',
      AppendForward: 'APPEND_FORWARD',
      SanitizeSet: 'SANITIZE_SET',
      AlwaysForwardOnly: 'ALWAYS_FORWARD_ONLY',
    } as const;
    ir.headers = {
      ...(headers.enableEnvoyHeaders === undefined
        ? {}
        : { suppressEnvoyHeaders: !headers.enableEnvoyHeaders }),
      ...(headers.withUnderscoresAction === undefined
        ? {}
        : { withUnderscoresAction: underscores[headers.withUnderscoresAction as keyof typeof underscores] }),
      ...(requestID === undefined ? {} : { requestID: requestIDs[requestID as keyof typeof requestIDs] }),
      ...(xfcc === undefined
        ? {}
        : {
            xForwardedClientCert: {
              mode: modes[(xfcc.mode ?? 'Sanitize') as keyof typeof modes],
              details: [
                ...((xfcc.certDetailsToAdd ?? []) as ('Subject' | 'Cert' | 'Chain' | 'DNS' | 'URI')[]),
              ],
            },
          }),
    };
  }

  if (spec.timeout?.http !== undefined) {
    const http = spec.timeout.http;
    const received = ms(http.requestReceivedTimeout, 'spec.timeout.http.requestReceivedTimeout');
    const headers = ms(http.requestHeadersReceivedTimeout, 'spec.timeout.http.requestHeadersReceivedTimeout');
    const idle = ms(http.idleTimeout, 'spec.timeout.http.idleTimeout');
    const stream = ms(http.streamIdleTimeout, 'spec.timeout.http.streamIdleTimeout');
    for (const result of [received, headers, idle, stream]) if (!result.ok) return refuse(result.message);
    const value = (r: Resolved<number | undefined>) => (r.ok ? r.value : undefined);
    ir.timeout = {
      ...(value(received) === undefined ? {} : { requestReceivedMs: value(received) }),
      ...(value(headers) === undefined ? {} : { requestHeadersReceivedMs: value(headers) }),
      ...(value(idle) === undefined ? {} : { idleMs: value(idle) }),
      ...(value(stream) === undefined ? {} : { streamIdleMs: value(stream) }),
    };
  }

  if (spec.connection !== undefined) {
    const connection = spec.connection;
    const limit = connection.connectionLimit;
    const closeDelay = ms(limit?.closeDelay, 'spec.connection.connectionLimit.closeDelay');
    const maxDuration = ms(
      limit?.maxConnectionDuration,
      'spec.connection.connectionLimit.maxConnectionDuration',
    );
    const maxStream = ms(limit?.maxStreamDuration, 'spec.connection.connectionLimit.maxStreamDuration');
    for (const result of [closeDelay, maxDuration, maxStream]) if (!result.ok) return refuse(result.message);
    const buffer = connection.bufferLimit === undefined ? undefined : quantityBytes(connection.bufferLimit);
    if (buffer === null)
      return refuse(`spec.connection.bufferLimit: "${connection.bufferLimit}" is not a quantity`);
    const value = (r: Resolved<number | undefined>) => (r.ok ? r.value : undefined);
    ir.connection = {
      ...(limit?.value === undefined
        ? {}
        : {
            connectionLimit: {
              value: limit.value,
              ...(value(closeDelay) === undefined ? {} : { closeDelayMs: value(closeDelay) }),
            },
          }),
      ...(buffer === undefined ? {} : { bufferLimitBytes: buffer }),
      ...(value(maxDuration) === undefined
        ? {}
        : {
            maxConnectionDurationMs: value(maxDuration),
            // Envoy Gateway's default: an HTTP/1 connection past its duration is closed after the answer to its
            // next request (Connection: close), not dropped under a request in flight.
            http1SafeMaxConnectionDuration: spec.http1?.disableSafeMaxConnectionDuration !== true,
          }),
      ...(limit?.maxRequestsPerConnection === undefined
        ? {}
        : { maxRequestsPerConnection: limit.maxRequestsPerConnection }),
      ...(value(maxStream) === undefined ? {} : { maxStreamDurationMs: value(maxStream) }),
    };
  }

  if (spec.http1 !== undefined) {
    ir.http1 = {
      enableTrailers: spec.http1.enableTrailers === true,
      acceptHttp10: spec.http1.http10 !== undefined,
      ...(spec.http1.http10?.useDefaultHost === true ? { useDefaultHost: true } : {}),
      preserveHeaderCase: spec.http1.preserveHeaderCase === true,
    };
  }
  if (spec.http2 !== undefined) {
    const stream =
      spec.http2.initialStreamWindowSize === undefined
        ? undefined
        : quantityBytes(spec.http2.initialStreamWindowSize);
    const connection =
      spec.http2.initialConnectionWindowSize === undefined
        ? undefined
        : quantityBytes(spec.http2.initialConnectionWindowSize);
    if (stream === null) return refuse('spec.http2.initialStreamWindowSize: not a quantity');
    if (connection === null) return refuse('spec.http2.initialConnectionWindowSize: not a quantity');
    // What the policy leaves out takes the API's defaults (Envoy Gateway's), not Envoy's own.
    ir.http2 = {
      initialStreamWindowSize: stream ?? HTTP2_DEFAULTS.initialStreamWindowSize,
      initialConnectionWindowSize: connection ?? HTTP2_DEFAULTS.initialConnectionWindowSize,
      maxConcurrentStreams: spec.http2.maxConcurrentStreams ?? HTTP2_DEFAULTS.maxConcurrentStreams,
      terminateStreamOnInvalidMessage: spec.http2.onInvalidMessage === 'TerminateStream',
    };
  }
  return { ok: true, ir };
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** A Kubernetes quantity (`32Ki`, `1Mi`, `65536`) in bytes; null when it is not one. */
export function quantityBytes(value: string | number): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : null;
  const match = /^([1-9][0-9]*)([EPTGMK]i|[EPTGMk])?$/.exec(value);
  if (match === null) return null;
  return Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1);
}
