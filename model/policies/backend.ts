// Envoy Gateway's Backend: its Accepted condition, and what a reference to it resolves to — the endpoints the
// data plane connects to (DNS names, IP addresses or Unix sockets) and the TLS it speaks to them. Routes
// (backend-refs.ts), AIServiceBackends and the policies' backendRefs (remote JWKS, external authorization)
// resolve a Backend with `resolveBackend`, so a Backend means the same wherever it is used. The spec's rules (what
// keeps a Backend from being accepted) are in backend-spec.ts.

import { X509Certificate } from 'node:crypto';
import {
  BACKEND_TARGET,
  backendTLSPolicyInForce,
  evaluateBackendTLSPolicy,
} from '../gateway-api/backend-tls.ts';
import type { BackendEndpointIR, EnvoyGatewayBackendIR, UpstreamTLS } from '../ir/envoy-gateway.ts';
import type { Backend, BackendEndpoint, BackendTLSSettings } from '../resources/envoy-gateway.ts';
import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type { Condition } from '../resources/kubernetes.ts';
import { CORE_GROUP, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { ConditionType, condition, mergeConditions, type Stamp } from '../shared/conditions.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import {
  APP_PROTOCOLS,
  type BackendAddressOptions,
  type BackendReasonName,
  backendSpecProblem,
  EnvoyGatewayBackendReason,
} from './backend-spec.ts';

/** Reasons of a Backend's Accepted condition (Envoy Gateway's). */
export const BackendReason = { Accepted: 'Accepted', Invalid: 'Invalid' } as const;

export type BackendResolution =
  | { readonly ok: true; readonly backend: EnvoyGatewayBackendIR }
  | {
      readonly ok: false;
      readonly reason: BackendReasonName;
      readonly message: string;
      /** Set when the Backend is unusable because its BackendTLSPolicy cannot be enforced (the policy's target). */
      readonly tlsTarget?: ResourceKey;
    };

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
