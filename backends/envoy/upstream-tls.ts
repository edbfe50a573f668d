// TLS to upstreams, one path for every cluster builder that sets it (Service clusters with a BackendTLSPolicy,
// Envoy Gateway Backend clusters, AI Gateway fallback clusters): which client certificate the cluster presents —
// the Backend's own `spec.tls.clientCertificateRef`, else the Gateway's `spec.tls.backend.clientCertificateRef` —
// and how an UpstreamTlsContext carries it. A certificate that should be presented but cannot be (an invalid
// reference, no material) refuses the cluster: it gets no endpoints, so no request reaches the backend without it.
import type { TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { BackendTLS } from '../../model/ir/backends.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';
import { ADS_SOURCE, FILTER, type Json, SYSTEM_CA_BUNDLE, TYPE } from './envoy-types.ts';
import { secretName, tlsMaterialKey } from './names.ts';
import { translateSecret } from './secrets.ts';

/** The client certificate a cluster presents: an SDS secret's name, `refuse` (unusable), or none. */
export type UpstreamClientCertificate = { readonly sdsSecret: string } | 'refuse' | undefined;

/** What building an upstream TLS context needs: the IR's TLS material, where SDS secrets and problems go. */
export interface BackendClusterContext {
  readonly tls: Readonly<Record<string, TlsMaterial>>;
  readonly secrets: Map<string, Json>;
  readonly problems: string[];
  /** The Gateway's backend client certificate (`gatewayClientCertificate`). */
  readonly clientCertificate: UpstreamClientCertificate;
}

/** The Gateway's backend client certificate as an SDS secret (added to `secrets`), or `refuse` when unusable. */
export function gatewayClientCertificate(
  ir: GatewayIR,
  tls: Readonly<Record<string, TlsMaterial>>,
  secrets: Map<string, Json>,
  problems: string[],
): UpstreamClientCertificate {
  const configured = ir.backendClientCertificate;
  if (configured === undefined) return undefined;
  if ('problem' in configured) return 'refuse';
  const presented = sdsCertificate(configured.secret, tls, secrets);
  if (presented === 'refuse')
    problems.push(
      `spec.tls.backend.clientCertificateRef: no TLS material for ${tlsMaterialKey(configured.secret)}; TLS backends get no traffic`,
    );
  return presented;
}

/**
 * The client certificate a cluster reached over TLS presents: `own` (a Backend's `spec.tls.clientCertificateRef`)
 * when set, else the Gateway's.
 */
export function presentedCertificate(
  own: ResourceKey | undefined,
  owner: string,
  context: BackendClusterContext,
): UpstreamClientCertificate {
  if (own === undefined) return context.clientCertificate;
  const presented = sdsCertificate(own, context.tls, context.secrets);
  if (presented === 'refuse')
    context.problems.push(
      `${owner}: no TLS material for client certificate ${formatResourceKey(own)}; its TLS endpoints get no traffic`,
    );
  return presented;
}

function sdsCertificate(
  secret: ResourceKey,
  tls: Readonly<Record<string, TlsMaterial>>,
  secrets: Map<string, Json>,
): UpstreamClientCertificate {
  const material = tls[tlsMaterialKey(secret)];
  if (material === undefined) return 'refuse';
  secrets.set(secretName(secret), translateSecret(secret, material));
  return { sdsSecret: secretName(secret) };
}

/** The CommonTlsContext fields presenting `certificate` (none when there is none to present). */
export function clientCertificateFields(certificate: UpstreamClientCertificate): Json {
  return typeof certificate === 'object'
    ? { tlsCertificateSdsSecretConfigs: [{ name: certificate.sdsSecret, sdsConfig: ADS_SOURCE }] }
    : {};
}

/**
 * TLS to a Service backend as its BackendTLSPolicy says: SNI = `hostname`; the certificate must chain to the
 * policy's CA bundle (or the system store) and carry one of `subjectAltNames`, or `hostname` when none are given;
 * the client certificate presented as `presentedCertificate` says.
 */
export function upstreamTls(tls: BackendTLS, http2: boolean, certificate: UpstreamClientCertificate): Json {
  const names =
    tls.subjectAltNames.length > 0
      ? tls.subjectAltNames.map((san) => ({
          sanType: san.type === 'URI' ? 'URI' : 'DNS',
          matcher: { exact: san.value },
        }))
      : [{ sanType: 'DNS', matcher: { exact: tls.hostname } }];
  return {
    name: FILTER.tlsTransportSocket,
    typedConfig: {
      '@type': TYPE.upstreamTlsContext,
      sni: tls.hostname,
      commonTlsContext: {
        alpnProtocols: [http2 ? 'h2' : 'http/1.1'],
        ...clientCertificateFields(certificate),
        validationContext: {
          trustedCa:
            tls.caCertificates === 'System' || tls.caBundle === undefined
              ? { filename: SYSTEM_CA_BUNDLE }
              : { inlineString: tls.caBundle },
          matchTypedSubjectAltNames: names,
        },
      },
    },
  };
}
