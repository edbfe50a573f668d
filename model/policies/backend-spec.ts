// Envoy Gateway's Backend, its spec's rules: what keeps a Backend from being accepted (address syntax, host-only
// addresses by mode, TLS that checks the backend's certificate somehow) and the fields Switchyard does not
// implement, by name. The Backend's status and what a reference to it resolves to are in backend.ts.

import { isIP } from 'node:net';
import type { Backend, BackendEndpoint, BackendTLSSettings, TLSVersion } from '../resources/envoy-gateway.ts';
import { BACKEND_SPEC } from '../resources/envoy-gateway.ts';
import { schemaProblems } from '../resources/field-schema.ts';
import { CORE_GROUP } from '../resources/resource-key.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
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
export type BackendReasonName = (typeof EnvoyGatewayBackendReason)[keyof typeof EnvoyGatewayBackendReason];

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

/** Why a Backend cannot be used, with the route reason Envoy Gateway gives. */
export interface BackendProblem {
  readonly reason: BackendReasonName;
  readonly message: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TLS_VERSIONS: readonly TLSVersion[] = ['Auto', '1.0', '1.1', '1.2', '1.3'];
/** The appProtocols a Backend may list, with the Kubernetes protocol each stands for. */
export const APP_PROTOCOLS: Readonly<Record<string, string>> = {
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
export function backendSpecProblem(
  backend: Backend,
  options: BackendAddressOptions,
): BackendProblem | undefined {
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
): BackendProblem | undefined {
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
): BackendProblem | undefined {
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

function portProblem(port: unknown, field: string): BackendProblem | undefined {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535
    ? undefined
    : invalidAddress(`${field}: ${String(port)} is not a port (1-65535)`);
}

function tlsProblem(
  tls: BackendTLSSettings,
  endpoints: readonly BackendEndpoint[],
  backend: Backend,
): BackendProblem | undefined {
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

function invalidRef(message: string): BackendProblem {
  return { reason: EnvoyGatewayBackendReason.InvalidBackendRef, message };
}

function invalidAddress(message: string): BackendProblem {
  return { reason: EnvoyGatewayBackendReason.InvalidAddress, message };
}
