// Envoy Gateway's Backend: its Accepted condition, and what a reference to it resolves to — the endpoints the
// data plane connects to (DNS names, IP addresses or Unix sockets) and the TLS it speaks to them. Routes
// (backend-refs.ts), AIServiceBackends and the policies' backendRefs (remote JWKS, external authorization)
// resolve a Backend with `resolveBackend`, so a Backend means the same wherever it is used.

import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import {
  BACKEND_TARGET,
  backendTLSPolicyInForce,
  evaluateBackendTLSPolicy,
} from '../gateway-api/backend-tls.ts';
import type { BackendEndpointIR, EnvoyGatewayBackendIR, UpstreamTLS } from '../ir/envoy-gateway.ts';
import type { Backend, BackendEndpoint, BackendTLSSettings, TLSVersion } from '../resources/envoy-gateway.ts';
import { BACKEND_SPEC, ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import { schemaProblems } from '../resources/field-schema.ts';
import type { Condition } from '../resources/kubernetes.ts';
import { CORE_GROUP, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { ConditionType, condition, mergeConditions, type Stamp } from '../shared/conditions.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';

/** Reasons of a Backend's Accepted condition (Envoy Gateway's). */
export const BackendReason = { Accepted: 'Accepted', Invalid: 'Invalid' } as const;

/**
 * Envoy Gateway's reasons on a route's ResolvedRefs condition when a backendRef names a Backend it cannot use
 * (beside the spec's BackendNotFound and RefNotPermitted).
 */
export const EnvoyGatewayBackendReason = {
  InvalidBackendRef: 'InvalidBackendRef',
  InvalidAddress: 'InvalidAddress',
  UnsupportedAddressType: 'UnsupportedAddressType',
  InvalidBackendTLS: 'InvalidBackendTLS',
  BackendNotFound: 'BackendNotFound',
} as const;
type BackendReasonName = (typeof EnvoyGatewayBackendReason)[keyof typeof EnvoyGatewayBackendReason];

export interface BackendAddressOptions {
  /**
   * The data plane runs on this machine (standalone mode), as with Envoy Gateway's Host infrastructure: loopback
   * addresses and single-label names (localhost) are allowed. In a cluster they would reach the proxy pod itself
   * (its admin interface among others) and are refused.
   */
  readonly hostDataPlane: boolean;
  /**
   * Unix-socket endpoints may be used. Envoy Gateway allows them for the services policies call (external
   * authorization, processing, telemetry) and not for routes; Switchyard also allows them for routes when the
   * data plane runs on the host, where the socket is the operator's own.
   */
  readonly unixSockets: boolean;
}

export type BackendResolution =
  | { readonly ok: true; readonly backend: EnvoyGatewayBackendIR }
  | {
      readonly ok: false;
      readonly reason: BackendReasonName;
      readonly message: string;
      /** Set when the Backend is unusable because its BackendTLSPolicy cannot be enforced (the policy's target). */
      readonly tlsTarget?: ResourceKey;
    };

interface Problem {
  readonly reason: BackendReasonName;
  readonly message: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TLS_VERSIONS: readonly TLSVersion[] = ['Auto', '1.0', '1.1', '1.2', '1.3'];
const APP_PROTOCOLS: Readonly<Record<string, string>> = {
  'gateway.envoyproxy.io/h2c': 'kubernetes.io/h2c',
  'gateway.envoyproxy.io/ws': 'kubernetes.io/ws',
  'gateway.envoyproxy.io/wss': 'kubernetes.io/ws',
};
const UNIX_PATH_MAX = 108;

/**
 * What keeps a Backend from being accepted: Envoy Gateway's rules (address syntax, no DNS names mixed with other
 * endpoints, TLS that checks the backend's certificate somehow) and the fields Switchyard does not implement, by
 * name. References (CA bundles, client certificates) are checked where the Backend is used.
 */
export function backendSpecProblem(backend: Backend, options: BackendAddressOptions): Problem | undefined {
  // Unknown fields and wrong types first, as strict field validation would name them.
  const strict = schemaProblems(backend.spec ?? {}, BACKEND_SPEC, 'spec');
  if (strict.length > 0) return invalidRef(strict.join('; '));
  const spec = backend.spec ?? {};
  if (spec.type !== undefined && spec.type !== 'Endpoints') {
    return invalidRef(
      `spec.type: ${String(spec.type)} is not supported by Switchyard; use Endpoints with the hosts to reach`,
    );
  }
  if (spec.fallback === true) {
    return invalidRef('spec.fallback: fallback Backends are not supported by Switchyard');
  }
  const endpoints = Array.isArray(spec.endpoints) ? spec.endpoints : [];
  if (endpoints.length === 0) return invalidRef('spec.endpoints: at least one endpoint is required');
  const kinds = new Set<string>();
  for (const [i, endpoint] of endpoints.entries()) {
    const problem = endpointProblem(endpoint, `spec.endpoints[${i}]`, options);
    if (problem !== undefined) return problem;
    kinds.add(endpoint.fqdn !== undefined ? 'fqdn' : 'static');
  }
  if (kinds.size > 1) {
    return {
      reason: EnvoyGatewayBackendReason.UnsupportedAddressType,
      message: 'spec.endpoints: fqdn endpoints cannot be mixed with ip or unix endpoints',
    };
  }
  for (const [i, protocol] of (Array.isArray(spec.appProtocols) ? spec.appProtocols : []).entries()) {
    if (APP_PROTOCOLS[protocol] === undefined) {
      return invalidRef(
        `spec.appProtocols[${i}]: ${String(protocol)} is not one of ${Object.keys(APP_PROTOCOLS).join(', ')}`,
      );
    }
  }
  if (spec.tls !== undefined && spec.tls !== null) return tlsProblem(spec.tls, endpoints, backend);
  return undefined;
}

function endpointProblem(
  endpoint: BackendEndpoint,
  field: string,
  options: BackendAddressOptions,
): Problem | undefined {
  if (endpoint === null || typeof endpoint !== 'object') return invalidRef(`${field}: must be an object`);
  const set = (['fqdn', 'ip', 'unix'] as const).filter(
    (k) => endpoint[k] !== undefined && endpoint[k] !== null,
  );
  if (set.length !== 1) return invalidRef(`${field}: set exactly one of fqdn, ip or unix`);
  if (endpoint.zone !== undefined) return invalidRef(`${field}.zone: zones are not supported by Switchyard`);
  if (endpoint.hostname !== undefined) {
    const problem = hostnameProblem(endpoint.hostname, `${field}.hostname`, options);
    if (problem !== undefined) return problem;
  }
  if (endpoint.fqdn !== undefined) {
    return (
      hostnameProblem(endpoint.fqdn.hostname, `${field}.fqdn.hostname`, options) ??
      portProblem(endpoint.fqdn.port, `${field}.fqdn.port`)
    );
  }
  if (endpoint.ip !== undefined) {
    const address = endpoint.ip.address;
    if (typeof address !== 'string' || isIP(address) === 0) {
      return invalidAddress(`${field}.ip.address: ${String(address)} is not an IPv4 or IPv6 address`);
    }
    if (isLoopback(address) && !options.hostDataPlane) {
      return invalidAddress(
        `${field}.ip.address: ${address} is a loopback address, allowed only when the data plane runs on this host (standalone mode)`,
      );
    }
    return portProblem(endpoint.ip.port, `${field}.ip.port`);
  }
  const path = endpoint.unix?.path;
  if (typeof path !== 'string' || path === '' || !(path.startsWith('/') || path.startsWith('@'))) {
    return invalidAddress(
      `${field}.unix.path: ${String(path)} is not an absolute socket path (or @abstract name)`,
    );
  }
  if (path.length > UNIX_PATH_MAX) {
    return invalidAddress(`${field}.unix.path: longer than ${UNIX_PATH_MAX} characters`);
  }
  if (!options.unixSockets) {
    return {
      reason: EnvoyGatewayBackendReason.UnsupportedAddressType,
      message: `${field}.unix: Unix sockets can be used by routes only when the data plane runs on this host (standalone mode)`,
    };
  }
  return undefined;
}

/** Envoy Gateway's rules for a DNS name: a lowercase subdomain, not an IP, two labels at least off the host. */
function hostnameProblem(
  hostname: unknown,
  field: string,
  options: BackendAddressOptions,
): Problem | undefined {
  if (typeof hostname !== 'string' || hostname === '') return invalidAddress(`${field}: required`);
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  const labels = name.split('.');
  if (name.length > 253 || !labels.every((label) => label.length <= 63 && DNS_LABEL.test(label))) {
    return invalidAddress(
      `${field}: ${hostname} is not a valid DNS name (lowercase letters, digits, '-', '.')`,
    );
  }
  if (isIP(name) !== 0) return invalidAddress(`${field}: ${hostname} is an IP address; use an ip endpoint`);
  if (labels.length < 2 && !options.hostDataPlane) {
    return invalidAddress(
      `${field}: ${hostname} needs at least two labels (a.b); single-label names such as localhost are allowed only when the data plane runs on this host (standalone mode)`,
    );
  }
  return undefined;
}

function portProblem(port: unknown, field: string): Problem | undefined {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535
    ? undefined
    : invalidAddress(`${field}: ${String(port)} is not a port (1-65535)`);
}

function tlsProblem(
  tls: BackendTLSSettings,
  endpoints: readonly BackendEndpoint[],
  backend: Backend,
): Problem | undefined {
  const refs = Array.isArray(tls.caCertificateRefs) ? tls.caCertificateRefs : [];
  const wellKnown = tls.wellKnownCACertificates;
  if (wellKnown !== undefined && wellKnown !== 'System' && (wellKnown as string) !== '') {
    return invalidRef(`spec.tls.wellKnownCACertificates: ${String(wellKnown)} is not System`);
  }
  const hasWellKnown = wellKnown === 'System';
  if (refs.length > 0 && hasWellKnown) {
    return invalidRef('spec.tls: set caCertificateRefs or wellKnownCACertificates, not both');
  }
  if (tls.insecureSkipVerify === true && (refs.length > 0 || hasWellKnown)) {
    return invalidRef('spec.tls: insecureSkipVerify cannot be combined with CA certificates');
  }
  if (tls.insecureSkipVerify !== true && refs.length === 0 && !hasWellKnown) {
    return invalidRef(
      'spec.tls: must specify either caCertificateRefs or wellKnownCACertificates when insecureSkipVerify is unset or false',
    );
  }
  if (typeof tls.sni === 'string' && tls.autoSNIFromEndpointHostname === true) {
    return invalidRef('spec.tls: sni and autoSNIFromEndpointHostname are mutually exclusive');
  }
  if (
    tls.autoSNIFromEndpointHostname === true &&
    endpoints.some((e) => e?.fqdn === undefined && e?.hostname === undefined)
  ) {
    return invalidRef(
      'spec.tls.autoSNIFromEndpointHostname: every ip and unix endpoint needs a hostname to send as SNI',
    );
  }
  const client = tls.clientCertificateRef;
  if (client !== undefined && client !== null) {
    const namespace = backend.metadata?.namespace ?? '';
    if (typeof client.namespace === 'string' && client.namespace !== '' && client.namespace !== namespace) {
      return invalidRef(
        `spec.tls.clientCertificateRef: the Secret must be in the Backend's namespace ${namespace}, not ${client.namespace}`,
      );
    }
    if (normalizeGroup(client.group) !== CORE_GROUP || (client.kind ?? 'Secret') !== 'Secret') {
      return invalidRef(
        `spec.tls.clientCertificateRef: ${String(client.group) || 'core'}/${String(client.kind)} is not a Secret`,
      );
    }
  }
  for (const field of ['minVersion', 'maxVersion'] as const) {
    const version = tls[field];
    if (version !== undefined && !TLS_VERSIONS.includes(version)) {
      return invalidRef(`spec.tls.${field}: ${String(version)} is not one of ${TLS_VERSIONS.join(', ')}`);
    }
  }
  const min = versionRank(tls.minVersion ?? '1.2');
  const max = versionRank(tls.maxVersion ?? '1.3');
  if (min > max) return invalidRef('spec.tls: minVersion is above maxVersion');
  if (Array.isArray(tls.fingerprints) && tls.fingerprints.length > 0) {
    return invalidRef('spec.tls.fingerprints: not supported by Switchyard (fingerprints are of clients)');
  }
  return undefined;
}

function versionRank(version: TLSVersion): number {
  return version === 'Auto' ? 0 : Number.parseFloat(version);
}

function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  // The URL parser writes IPv6 in its shortest form: ::1, or an IPv4-mapped address as ::ffff:7f00:1.
  const host = new URL(`http://[${address}]`).hostname;
  return host === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}

function invalidRef(message: string): Problem {
  return { reason: EnvoyGatewayBackendReason.InvalidBackendRef, message };
}

function invalidAddress(message: string): Problem {
  return { reason: EnvoyGatewayBackendReason.InvalidAddress, message };
}

// ---- status -------------------------------------------------------------------------------------------------

export interface BackendStatusOptions extends Pick<Stamp, 'now'> {
  readonly hostDataPlane: boolean;
}

/**
 * The Backend's status as Envoy Gateway writes it: Accepted True (Accepted) or False (Invalid) with the reason
 * the spec cannot be used. Unix sockets count as valid here (policies may use them); a route refuses them itself.
 */
export function computeBackendStatus(
  backend: Backend,
  options: BackendStatusOptions,
): { conditions: Condition[] } {
  const problem = backendSpecProblem(backend, { hostDataPlane: options.hostDataPlane, unixSockets: true });
  const accepted =
    problem === undefined
      ? condition(ConditionType.Accepted, 'True', BackendReason.Accepted, 'The Backend was accepted')
      : condition(
          ConditionType.Accepted,
          'False',
          BackendReason.Invalid,
          `The Backend was not accepted: ${problem.message}`,
        );
  const stamp: Stamp = { generation: backend.metadata?.generation, now: options.now };
  return { conditions: mergeConditions(backend.status?.conditions, [accepted], 'Backend', stamp) };
}

// ---- resolution ---------------------------------------------------------------------------------------------

/**
 * The Backend `namespace/name` as a data plane reaches it, or why it cannot be used (Envoy Gateway's route
 * reasons): missing, not accepted, an address the caller may not use, TLS references that do not resolve. The
 * caller has already checked that it may refer to that namespace.
 */
export function resolveBackend(
  view: ResourceView,
  namespace: string,
  name: string,
  options: BackendAddressOptions,
): BackendResolution {
  const backend = view.get('Backend', namespace, name);
  if (backend === undefined) {
    return {
      ok: false,
      reason: EnvoyGatewayBackendReason.BackendNotFound,
      message: `Backend ${namespace}/${name} not found`,
    };
  }
  const problem = backendSpecProblem(backend, options);
  if (problem !== undefined) {
    return { ok: false, reason: problem.reason, message: `Backend ${namespace}/${name}: ${problem.message}` };
  }
  const spec = backend.spec;
  const endpoints = (spec.endpoints ?? []).map(endpointIR);
  const appProtocol = (spec.appProtocols ?? []).map((p) => APP_PROTOCOLS[p]).find((p) => p !== undefined);
  let tls: UpstreamTLS | undefined;
  if (spec.tls !== undefined && spec.tls !== null) {
    const resolved = resolveTLS(spec.tls, namespace, view);
    if ('message' in resolved) {
      return {
        ok: false,
        reason: EnvoyGatewayBackendReason.InvalidBackendTLS,
        message: `Backend ${namespace}/${name}: ${resolved.message}`,
      };
    }
    tls = resolved;
  }
  // A BackendTLSPolicy targeting the Backend decides how its certificate is checked (SNI, CA, names), as in Envoy
  // Gateway; the Backend's own TLS settings (client certificate, versions, ciphers) stay. One that cannot be used
  // leaves the Backend unusable (never plaintext where TLS was asked for).
  const policy = backendTLSPolicyInForce(view, namespace, name, undefined, BACKEND_TARGET);
  if (policy !== undefined) {
    const verdict = evaluateBackendTLSPolicy(policy, view);
    if (!verdict.ok) {
      return {
        ok: false,
        reason: EnvoyGatewayBackendReason.InvalidBackendTLS,
        message: `Backend ${namespace}/${name}: BackendTLSPolicy ${policy.metadata.name}: ${verdict.accepted.message}`,
        tlsTarget: resourceKey(ENVOY_GATEWAY_GROUP, 'Backend', namespace, name),
      };
    }
    const { autoSNIFromEndpointHostname: _auto, ...own } = tls ?? { minVersion: '1.2', maxVersion: '1.3' };
    tls = {
      ...(own as Omit<UpstreamTLS, 'verify'>),
      sni: verdict.tls.hostname,
      verify: verdict.tls.caBundle === undefined ? 'System' : { caBundle: verdict.tls.caBundle },
      ...(verdict.tls.subjectAltNames.length === 0 ? {} : { subjectAltNames: verdict.tls.subjectAltNames }),
      policy: verdict.tls.policy,
    };
  }
  return {
    ok: true,
    backend: {
      kind: 'Backend',
      backend: resourceKey(ENVOY_GATEWAY_GROUP, 'Backend', namespace, name),
      addressType: spec.endpoints?.some((e) => e.fqdn !== undefined) === true ? 'FQDN' : 'Static',
      endpoints,
      ...(appProtocol === undefined ? {} : { appProtocol }),
      ...(tls === undefined ? {} : { tls }),
    },
  };
}

function endpointIR(endpoint: BackendEndpoint): BackendEndpointIR {
  const hostname = endpoint.hostname === undefined ? {} : { hostname: endpoint.hostname };
  if (endpoint.fqdn !== undefined) {
    return {
      address: endpoint.fqdn.hostname.replace(/\.$/, ''),
      port: endpoint.fqdn.port,
      // An FQDN endpoint's own name is its hostname (SNI with autoSNIFromEndpointHostname).
      hostname: endpoint.hostname ?? endpoint.fqdn.hostname.replace(/\.$/, ''),
    };
  }
  if (endpoint.ip !== undefined) return { address: endpoint.ip.address, port: endpoint.ip.port, ...hostname };
  return { path: String(endpoint.unix?.path), ...hostname };
}

function resolveTLS(
  tls: BackendTLSSettings,
  namespace: string,
  view: ResourceView,
): UpstreamTLS | { message: string } {
  let verify: UpstreamTLS['verify'];
  if (tls.insecureSkipVerify === true) verify = 'InsecureSkipVerify';
  else if (tls.wellKnownCACertificates === 'System') verify = 'System';
  else {
    const bundle: string[] = [];
    for (const [i, ref] of (tls.caCertificateRefs ?? []).entries()) {
      const field = `spec.tls.caCertificateRefs[${i}]`;
      const kind = ref?.kind;
      if (normalizeGroup(ref?.group) !== CORE_GROUP || (kind !== 'ConfigMap' && kind !== 'Secret')) {
        return {
          message: `${field}: ${String(ref?.group) || 'core'}/${String(kind)} is not a ConfigMap or Secret`,
        };
      }
      const pem = caOf(view, kind, namespace, String(ref.name));
      if (pem === undefined) {
        return { message: `${field}: ${kind} ${namespace}/${String(ref.name)} not found` };
      }
      if (!isCertificate(pem)) {
        return {
          message: `${field}: ${kind} ${namespace}/${String(ref.name)} has no PEM certificate in ca.crt`,
        };
      }
      bundle.push(pem.trim());
    }
    verify = { caBundle: `${bundle.join('\n')}\n` };
  }
  let clientCertificate: ResourceKey | undefined;
  const client = tls.clientCertificateRef;
  if (client !== undefined && client !== null) {
    const secret = view.get('Secret', namespace, String(client.name));
    const problem =
      secret === undefined
        ? 'not found'
        : secret.type !== undefined && secret.type !== 'kubernetes.io/tls'
          ? `is of type ${secret.type}, not kubernetes.io/tls`
          : !hasKey(secret, 'tls.crt') || !hasKey(secret, 'tls.key')
            ? 'has no tls.crt and tls.key'
            : undefined;
    if (problem !== undefined) {
      return {
        message: `spec.tls.clientCertificateRef: Secret ${namespace}/${String(client.name)} ${problem}`,
      };
    }
    clientCertificate = resourceKey(CORE_GROUP, 'Secret', namespace, String(client.name));
  }
  const list = (value: unknown): readonly string[] | undefined =>
    Array.isArray(value) && value.length > 0 ? value.map(String) : undefined;
  const optional = {
    ciphers: list(tls.ciphers),
    ecdhCurves: list(tls.ecdhCurves),
    signatureAlgorithms: list(tls.signatureAlgorithms),
    // An empty list disables ALPN: kept as given.
    alpnProtocols: Array.isArray(tls.alpnProtocols) ? tls.alpnProtocols.map(String) : undefined,
  };
  return {
    ...(typeof tls.sni === 'string' && tls.sni !== '' ? { sni: tls.sni } : {}),
    ...(tls.autoSNIFromEndpointHostname === true ? { autoSNIFromEndpointHostname: true } : {}),
    verify,
    ...(clientCertificate === undefined ? {} : { clientCertificate }),
    minVersion: tls.minVersion ?? '1.2',
    maxVersion: tls.maxVersion ?? '1.3',
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

function caOf(
  view: ResourceView,
  kind: 'ConfigMap' | 'Secret',
  namespace: string,
  name: string,
): string | undefined {
  if (kind === 'ConfigMap') return view.get('ConfigMap', namespace, name)?.data?.['ca.crt'];
  const secret = view.get('Secret', namespace, name);
  if (secret === undefined) return undefined;
  const encoded = secret.data?.['ca.crt'];
  if (typeof encoded === 'string') return Buffer.from(encoded, 'base64').toString('utf8');
  return secret.stringData?.['ca.crt'] ?? '';
}

function hasKey(
  secret: { data?: Record<string, string>; stringData?: Record<string, string> },
  key: string,
): boolean {
  return typeof secret.data?.[key] === 'string' || typeof secret.stringData?.[key] === 'string';
}

const certificateCache = new Map<string, boolean>();

function isCertificate(pem: string): boolean {
  let valid = certificateCache.get(pem);
  if (valid === undefined) {
    try {
      valid = pem.includes('-----BEGIN CERTIFICATE-----') && new X509Certificate(pem) !== undefined;
    } catch {
      valid = false;
    }
    if (certificateCache.size > 1024) certificateCache.clear();
    certificateCache.set(pem, valid);
  }
  return valid;
}

/** What a Backend's resolution reads: the CA bundles and the client certificate it names. */
export function backendDependencies(backend: Backend): ResourceKey[] {
  const namespace = backend.metadata?.namespace ?? '';
  const tls = backend.spec?.tls;
  const out: ResourceKey[] = [];
  for (const ref of Array.isArray(tls?.caCertificateRefs) ? tls.caCertificateRefs : []) {
    if (normalizeGroup(ref?.group) === CORE_GROUP && (ref?.kind === 'ConfigMap' || ref?.kind === 'Secret')) {
      out.push(resourceKey(CORE_GROUP, ref.kind, namespace, String(ref.name)));
    }
  }
  const client = tls?.clientCertificateRef;
  if (typeof client?.name === 'string') out.push(resourceKey(CORE_GROUP, 'Secret', namespace, client.name));
  return out;
}
