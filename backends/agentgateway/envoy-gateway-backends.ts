// Envoy Gateway Backends (the IR's `kind: 'Backend'`) as agentgateway static Backends: one per endpoint — a DNS name
// (FQDN, resolved by agentgateway), an IP address, or a Unix socket (`unix_path`) — with the Backend's TLS as an
// inline `backend_tls` policy and `kubernetes.io/h2c` as HTTP/2 (`backend_http`). What agentgateway's BackendTLS
// cannot say (a TLS version range other than its own 1.2–1.3, cipher, curve or signature algorithm lists) makes the
// Backend unusable there: its share answers 500 and the Gateway's message names the field.
import type { TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { BackendEndpointIR, EnvoyGatewayBackendIR, UpstreamTLS } from '../../model/ir/envoy-gateway.ts';
import { formatResourceKey } from '../../model/resources/resource-key.ts';
import type { Json } from './types.ts';

/** The static Backend resources of an Envoy Gateway Backend, or why agentgateway cannot reach it as asked. */
export function envoyGatewayBackends(
  backend: EnvoyGatewayBackendIR,
  tls: Readonly<Record<string, TlsMaterial>>,
): { readonly backends: readonly Json[] } | { readonly problem: string } {
  const name = formatResourceKey(backend.backend);
  const tlsPolicy = backend.tls === undefined ? undefined : upstreamTls(backend.tls, tls);
  if (tlsPolicy !== undefined && 'problem' in tlsPolicy)
    return { problem: `Envoy Gateway Backend ${name} ${tlsPolicy.problem}` };
  const http2 = backend.appProtocol === 'kubernetes.io/h2c';
  return {
    backends: backend.endpoints.map((endpoint) => {
      const policies: Json[] = [];
      if (tlsPolicy !== undefined) {
        const hostname =
          backend.tls?.sni ?? (backend.tls?.autoSNIFromEndpointHostname ? endpoint.hostname : undefined);
        policies.push({
          backendTls: { ...tlsPolicy.policy, ...(hostname === undefined ? {} : { hostname }) },
        });
      }
      if (http2) policies.push({ backendHttp: { version: 'HTTP2' } });
      return {
        key: envoyGatewayBackendKey(backend, endpoint),
        name: { name: backend.backend.name, namespace: backend.backend.namespace ?? '' },
        static:
          'path' in endpoint ? { unixPath: endpoint.path } : { host: endpoint.address, port: endpoint.port },
        ...(policies.length > 0 ? { inlinePolicies: policies } : {}),
      };
    }),
  };
}

/** `egbackend/<ns>/<name>/<host>:<port>` or `…/unix:<path>`. */
function envoyGatewayBackendKey(backend: EnvoyGatewayBackendIR, endpoint: BackendEndpointIR): string {
  const where = 'path' in endpoint ? `unix:${endpoint.path}` : `${endpoint.address}:${endpoint.port}`;
  return `egbackend/${backend.backend.namespace ?? ''}/${backend.backend.name}/${where}`;
}

/** The Backend's `spec.tls` as agentgateway's BackendTLS (without the SNI, which is per endpoint). */
function upstreamTls(
  upstream: UpstreamTLS,
  material: Readonly<Record<string, TlsMaterial>>,
): { readonly policy: Json } | { readonly problem: string } {
  // rustls, which agentgateway speaks TLS with, negotiates 1.2 and 1.3: Envoy Gateway's default range.
  if (
    (upstream.minVersion !== '1.2' && upstream.minVersion !== 'Auto') ||
    (upstream.maxVersion !== '1.3' && upstream.maxVersion !== 'Auto')
  )
    return {
      problem: `spec.tls minVersion ${upstream.minVersion}, maxVersion ${upstream.maxVersion}: agentgateway negotiates TLS 1.2 to 1.3 with backends; its share is not forwarded`,
    };
  for (const [field, list] of [
    ['ciphers', upstream.ciphers],
    ['ecdhCurves', upstream.ecdhCurves],
    ['signatureAlgorithms', upstream.signatureAlgorithms],
  ] as const) {
    if (list !== undefined && list.length > 0)
      return {
        problem: `spec.tls.${field}: agentgateway's backend TLS has no such setting; its share is not forwarded`,
      };
  }
  let client: Json = {};
  if (upstream.clientCertificate !== undefined) {
    const pem = material[formatResourceKey(upstream.clientCertificate)];
    if (pem === undefined)
      return {
        problem: `spec.tls.clientCertificateRef: no TLS material for ${formatResourceKey(upstream.clientCertificate)}; its share is not forwarded`,
      };
    client = clientCertificate(pem);
  }
  const sans = (upstream.subjectAltNames ?? []).map((san) => san.value);
  return {
    policy: {
      ...client,
      ...(typeof upstream.verify === 'object'
        ? { root: Buffer.from(upstream.verify.caBundle).toString('base64') }
        : {}),
      ...(upstream.verify === 'InsecureSkipVerify' ? { verification: 'INSECURE_ALL' } : {}),
      ...(sans.length > 0 ? { verifySubjectAltNames: sans } : {}),
      ...(upstream.alpnProtocols === undefined ? {} : { alpn: { protocols: [...upstream.alpnProtocols] } }),
    },
  };
}

/** A client certificate chain and key (PEM) as BackendTLS `cert` and `key`. */
export function clientCertificate(material: TlsMaterial): Json {
  return {
    cert: Buffer.from(material.certificateChain).toString('base64'),
    key: Buffer.from(material.privateKey).toString('base64'),
  };
}
