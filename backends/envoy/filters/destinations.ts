// The cluster a policy's service is reached through: its resolved backend's cluster (EDS, with the
// BackendTLSPolicy's TLS like any route backend), or for a bare URI (a remote JWKS by `uri`) a DNS cluster to
// the URI's host, over TLS checked against the system trust store when the URI is https.
import { isIP } from 'node:net';
import type { PolicyDestinationIR } from '../../../model/ir/policies.ts';
import { FILTER, type Json, SYSTEM_CA_BUNDLE, TYPE } from '../envoy-types.ts';
import type { FilterContext } from './registry.ts';

/**
 * The cluster name for a destination, registering what it needs. One without a backend (the model denies its
 * rules anyway) gets the blackhole cluster: calls to it fail, so the filter fails closed.
 */
export function destinationCluster(
  destination: PolicyDestinationIR,
  http2: boolean,
  context: FilterContext,
): string {
  if (destination.kind === 'backends') {
    const [backend] = destination.backends;
    return backend === undefined ? context.clusters.blackhole() : context.clusters.use(backend, http2);
  }
  const name = `uri/${destination.tls ? 'https' : 'http'}/${destination.host}/${destination.port}${http2 ? '/h2' : ''}`;
  if (!context.extraClusters.has(name)) context.extraClusters.set(name, uriCluster(name, destination, http2));
  return name;
}

function uriCluster(
  name: string,
  destination: Extract<PolicyDestinationIR, { kind: 'uri' }>,
  http2: boolean,
): Json {
  const literal = isIP(destination.host) !== 0;
  return {
    name,
    type: literal ? 'STATIC' : 'STRICT_DNS',
    dnsLookupFamily: 'V4_PREFERRED',
    connectTimeout: '5s',
    loadAssignment: {
      clusterName: name,
      endpoints: [
        {
          lbEndpoints: [
            {
              endpoint: {
                address: { socketAddress: { address: destination.host, portValue: destination.port } },
              },
            },
          ],
        },
      ],
    },
    ...(http2
      ? {
          typedExtensionProtocolOptions: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': TYPE.httpProtocolOptions,
              explicitHttpConfig: { http2ProtocolOptions: {} },
            },
          },
        }
      : {}),
    ...(destination.tls
      ? {
          transportSocket: {
            name: FILTER.tlsTransportSocket,
            typedConfig: {
              '@type': TYPE.upstreamTlsContext,
              ...(literal ? {} : { sni: destination.host }),
              commonTlsContext: {
                alpnProtocols: [http2 ? 'h2' : 'http/1.1'],
                validationContext: {
                  trustedCa: { filename: SYSTEM_CA_BUNDLE },
                  ...(literal
                    ? {}
                    : {
                        matchTypedSubjectAltNames: [{ sanType: 'DNS', matcher: { exact: destination.host } }],
                      }),
                },
              },
            },
          },
        }
      : {}),
  };
}
