// ClientTrafficPolicy → a listener's TLSConfig on agentgateway: client certificate validation (mTLS: the CA bundle as
// `root`, `mtls_mode` STRICT), the TLS version range, cipher suites and key exchange groups (OpenSSL names mapped
// onto agentgateway's enums). agentgateway has no per-listener equivalent for the rest of a ClientTrafficPolicy
// (timeouts, connection limits, client IP detection, header and path handling, HTTP/1 and HTTP/2 settings, TCP
// keepalive, ALPN, signature algorithms), nor for VerifyIfGiven (its fallback also lets an invalid certificate
// through): the listener is then not programmed and each field is named.
import type { ClientTrafficIR } from '../../../model/ir/policies.ts';
import type { Json } from '../types.ts';
import type { Unsupported } from './context.ts';

const VERSIONS: Readonly<Record<string, string>> = { TLSv1_2: 'TLS_V1_2', TLSv1_3: 'TLS_V1_3' };

/** OpenSSL cipher names (as Envoy and Envoy Gateway write them) → agentgateway's CipherSuite. */
const CIPHERS: Readonly<Record<string, string>> = {
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-RSA-CHACHA20-POLY1305': 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
};
/** Envoy's cipher list governs TLS 1.2 only; TLS 1.3's suites stay on, as agentgateway must be told. */
const TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'];

const CURVES: Readonly<Record<string, string>> = {
  X25519: 'X25519',
  'P-256': 'P256',
  P256: 'P256',
  'P-384': 'P384',
  P384: 'P384',
  X25519MLKEM768: 'X25519_MLKEM768',
};

/** The ClientTrafficIR fields agentgateway has no listener setting for, with the spec field each comes from. */
const UNEXPRESSED: readonly [keyof ClientTrafficIR, string][] = [
  ['tcpKeepalive', 'spec.tcpKeepalive'],
  ['clientIPDetection', 'spec.clientIPDetection'],
  ['path', 'spec.path'],
  ['headers', 'spec.headers'],
  ['timeout', 'spec.timeout'],
  ['connection', 'spec.connection'],
  ['http1', 'spec.http1'],
  ['http2', 'spec.http2'],
];

/**
 * The TLSConfig fields a listener's ClientTrafficPolicy adds, or what agentgateway cannot express of it.
 * `gatewayValidates`: the Gateway's spec.tls.frontend replaces the policy's client validation (listeners.ts).
 */
export function clientTrafficTls(
  policy: ClientTrafficIR,
  terminatesTls: boolean,
  gatewayValidates = false,
): { readonly tls: Json } | { readonly unsupported: readonly Unsupported[] } {
  const unsupported: Unsupported[] = [];
  const refuse = (field: string, why: string) =>
    unsupported.push({ policy: policy.policy, kind: 'ClientTrafficPolicy', field, why });
  for (const [field, spec] of UNEXPRESSED)
    if (policy[field] !== undefined) refuse(spec, 'agentgateway has no such listener setting');
  const tls = policy.tls;
  if (tls === undefined || !terminatesTls) return unsupported.length > 0 ? { unsupported } : { tls: {} };
  const out: Json = {};
  for (const [field, version] of [
    ['minVersion', tls.minVersion],
    ['maxVersion', tls.maxVersion],
  ] as const) {
    if (version === undefined) continue;
    const mapped = VERSIONS[version];
    if (mapped === undefined)
      refuse(`spec.tls.${field}`, `${version}: agentgateway speaks TLS 1.2 and 1.3 only`);
    else out[field] = mapped;
  }
  if (tls.ciphers.length > 0) {
    const suites = tls.ciphers.map((c) => [c, CIPHERS[c]] as const);
    const unknown = suites.filter(([, mapped]) => mapped === undefined).map(([c]) => c);
    if (unknown.length > 0)
      refuse('spec.tls.ciphers', `${unknown.join(', ')}: not a cipher suite agentgateway offers`);
    const mapped = suites.map(([, m]) => m).filter((m): m is string => m !== undefined);
    out.cipherSuites = [...new Set([...TLS13_SUITES, ...mapped])];
  }
  if (tls.ecdhCurves.length > 0) {
    const unknown = tls.ecdhCurves.filter((c) => CURVES[c] === undefined);
    if (unknown.length > 0)
      refuse('spec.tls.ecdhCurves', `${unknown.join(', ')}: not a key exchange group agentgateway offers`);
    out.keyExchangeGroups = [...new Set(tls.ecdhCurves.map((c) => CURVES[c]).filter((c) => c !== undefined))];
  }
  if (tls.signatureAlgorithms.length > 0)
    refuse('spec.tls.signatureAlgorithms', "agentgateway's listener TLS has no such setting");
  if (tls.alpnProtocols !== undefined)
    refuse('spec.tls.alpnProtocols', "agentgateway's listener TLS offers its own ALPN (h2, http/1.1)");
  const validation = tls.clientValidation;
  if (validation !== undefined && !gatewayValidates) {
    if (!validation.required)
      refuse(
        'spec.tls.clientValidation.optional',
        "agentgateway's optional client certificates (ALLOW_INSECURE_FALLBACK) also admit invalid ones",
      );
    out.root = Buffer.from(validation.caBundle).toString('base64');
    out.mtlsMode = 'STRICT';
  }
  return unsupported.length > 0 ? { unsupported } : { tls: out };
}
