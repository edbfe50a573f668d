// Clusters of Envoy Gateway Backends: DNS names become a STRICT_DNS cluster (Envoy resolves every name and
// re-resolves it), IP addresses and Unix sockets static endpoints served over EDS like a Service's. TLS to the
// endpoints as the Backend's `spec.tls` says: SNI fixed, taken from each endpoint's hostname, or — with neither —
// from the request's Host header (checked against the certificate too); the certificate checked against a CA
// bundle, the system store, or not at all; a client certificate over SDS; TLS versions, ciphers, curves, ALPN.
import type { BackendEndpointIR, EnvoyGatewayBackendIR, UpstreamTLS } from '../../model/ir/envoy-gateway.ts';
import { upstreamHttp2Options } from './cluster-traffic.ts';
import { ADS_SOURCE, FILTER, type Json, SYSTEM_CA_BUNDLE, TYPE } from './envoy-types.ts';
import { clientCertificateFields, type UpstreamClientCertificate } from './upstream-tls.ts';

/** Endpoint metadata that picks a transport socket (one per SNI) when SNI comes from the endpoint's hostname. */
const SOCKET_MATCH = 'envoy.transport_socket_match';

/**
 * The cluster fields a Backend decides: discovery (DNS or EDS), endpoints when DNS, TLS presenting `certificate`
 * (its own client certificate or the Gateway's: upstream-tls.ts).
 */
export function backendClusterFields(
  name: string,
  backend: EnvoyGatewayBackendIR,
  http2: boolean,
  certificate: UpstreamClientCertificate,
): Json {
  const discovery: Json =
    backend.addressType === 'FQDN'
      ? {
          type: 'STRICT_DNS',
          // Envoy Gateway's DNS defaults (its API's): IPv4 first, every 30 s or as the record's TTL says.
          dnsLookupFamily: 'V4_PREFERRED',
          dnsRefreshRate: '30s',
          respectDnsTtl: true,
          loadAssignment: backendLoadAssignment(name, backend),
        }
      : { type: 'EDS', edsClusterConfig: { edsConfig: ADS_SOURCE } };
  return { ...discovery, ...(backend.tls === undefined ? {} : backendTls(backend, http2, certificate)) };
}

/** True when the Backend's endpoints come over EDS (IP addresses and Unix sockets). */
export function backendUsesEds(backend: EnvoyGatewayBackendIR): boolean {
  return backend.addressType === 'Static';
}

/** The ClusterLoadAssignment of a Backend's endpoints. */
export function backendLoadAssignment(name: string, backend: EnvoyGatewayBackendIR): Json {
  const bySni = backend.tls?.autoSNIFromEndpointHostname === true;
  return {
    clusterName: name,
    endpoints: [
      {
        locality: {},
        loadBalancingWeight: 1,
        lbEndpoints: backend.endpoints.map((endpoint) => ({
          endpoint: {
            address: address(endpoint),
            ...(endpoint.hostname === undefined ? {} : { hostname: endpoint.hostname }),
          },
          ...(bySni && endpoint.hostname !== undefined
            ? { metadata: { filterMetadata: { [SOCKET_MATCH]: { sni: endpoint.hostname } } } }
            : {}),
        })),
      },
    ],
  };
}

function address(endpoint: BackendEndpointIR): Json {
  return 'path' in endpoint
    ? { pipe: { path: endpoint.path } }
    : { socketAddress: { address: endpoint.address, portValue: endpoint.port } };
}

function backendTls(
  backend: EnvoyGatewayBackendIR,
  http2: boolean,
  certificate: UpstreamClientCertificate,
): Json {
  const tls = backend.tls as UpstreamTLS;
  const socket = (sni: string | undefined, checkSni: boolean): Json =>
    upstreamSocket(tls, http2, sni, checkSni, certificate);
  if (tls.sni !== undefined) return { transportSocket: socket(tls.sni, true) };
  if (tls.autoSNIFromEndpointHostname === true) {
    // One transport socket per distinct hostname, chosen by the endpoint's metadata (backendLoadAssignment).
    const names = [
      ...new Set(backend.endpoints.flatMap((e) => (e.hostname === undefined ? [] : [e.hostname]))),
    ];
    return {
      transportSocketMatches: names.sort().map((hostname) => ({
        name: `sni/${hostname}`,
        match: { sni: hostname },
        transportSocket: socket(hostname, true),
      })),
    };
  }
  // Neither: the request's Host is the SNI, and the certificate must be for it (HTTP upstreams only).
  return {
    transportSocket: socket(undefined, false),
    typedExtensionProtocolOptions: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': TYPE.httpProtocolOptions,
        upstreamHttpProtocolOptions: {
          autoSni: true,
          ...(tls.verify === 'InsecureSkipVerify' ? {} : { autoSanValidation: true }),
        },
        explicitHttpConfig: http2
          ? { http2ProtocolOptions: upstreamHttp2Options() }
          : { httpProtocolOptions: {} },
      },
    },
  };
}

const TLS_VERSION: Readonly<Record<string, string>> = {
  Auto: 'TLS_AUTO',
  '1.0': 'TLSv1_0',
  '1.1': 'TLSv1_1',
  '1.2': 'TLSv1_2',
  '1.3': 'TLSv1_3',
};

function upstreamSocket(
  tls: UpstreamTLS,
  http2: boolean,
  sni: string | undefined,
  checkSni: boolean,
  certificate: UpstreamClientCertificate,
): Json {
  const validationContext =
    tls.verify === 'InsecureSkipVerify'
      ? undefined
      : {
          trustedCa:
            tls.verify === 'System' ? { filename: SYSTEM_CA_BUNDLE } : { inlineString: tls.verify.caBundle },
          ...(tls.subjectAltNames !== undefined
            ? {
                matchTypedSubjectAltNames: tls.subjectAltNames.map((san) => ({
                  sanType: san.type === 'URI' ? 'URI' : 'DNS',
                  matcher: { exact: san.value },
                })),
              }
            : checkSni && sni !== undefined
              ? { matchTypedSubjectAltNames: [{ sanType: 'DNS', matcher: { exact: sni } }] }
              : {}),
        };
  const params: Json = {
    tlsMinimumProtocolVersion: TLS_VERSION[tls.minVersion],
    tlsMaximumProtocolVersion: TLS_VERSION[tls.maxVersion],
    ...(tls.ciphers === undefined ? {} : { cipherSuites: [...tls.ciphers] }),
    ...(tls.ecdhCurves === undefined ? {} : { ecdhCurves: [...tls.ecdhCurves] }),
    ...(tls.signatureAlgorithms === undefined ? {} : { signatureAlgorithms: [...tls.signatureAlgorithms] }),
  };
  const alpn = tls.alpnProtocols ?? [http2 ? 'h2' : 'http/1.1'];
  return {
    name: FILTER.tlsTransportSocket,
    typedConfig: {
      '@type': TYPE.upstreamTlsContext,
      ...(sni === undefined ? {} : { sni }),
      commonTlsContext: {
        tlsParams: params,
        ...(alpn.length > 0 ? { alpnProtocols: [...alpn] } : {}),
        ...clientCertificateFields(certificate),
        ...(validationContext === undefined ? {} : { validationContext }),
      },
    },
  };
}
