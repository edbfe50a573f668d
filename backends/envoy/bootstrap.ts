// The bootstrap of an Envoy that serves one Gateway: node cluster `<namespace>/<gateway>` (how the ADS server
// matches it, see node-identity.ts), every Listener and Cluster from one ADS stream to the controller, and an
// admin listener on loopback.
import { isIP } from 'node:net';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { RE2_MAX_PROGRAM_SIZE } from '../../model/shared/re2.ts';
import { nodeClusterOf } from './node-identity.ts';

export interface EnvoyBootstrapOptions {
  readonly gateway: ResourceKey;
  /** host:port of the controller's ADS server. */
  readonly xdsAddress: string;
  /** The proxy's own name (node id), e.g. its pod name; default `<namespace>-<gateway>`. */
  readonly nodeId?: string;
  /** Delta (incremental) xDS; default true. */
  readonly delta?: boolean;
  /** Admin listener port on 127.0.0.1; default 19000, 0 lets Envoy pick. */
  readonly adminPort?: number;
  /** TLS (optionally mutual) to the controller's ADS server; plaintext when absent. */
  readonly tls?: XdsTlsOptions;
}

/**
 * How Envoy reaches an ADS server over TLS: the CA that signed the server's certificate (inline PEM, as a
 * ConfigMap carries it, or a file), the name the certificate must carry (default: the host of the xDS
 * address; an IP is matched against IP SANs and sent without SNI), and for mutual TLS the proxy's own
 * certificate and key files (mounted from a Secret; Envoy reads them at start).
 */
export interface XdsTlsOptions {
  readonly ca: { readonly pem: string } | { readonly file: string };
  readonly serverName?: string;
  readonly client?: { readonly certificateFile: string; readonly keyFile: string };
}

const ADS_CLUSTER = 'switchyard-xds';

/** The bootstrap as proto3 JSON (envoy.config.bootstrap.v3.Bootstrap); print it as JSON or YAML. */
export function envoyBootstrap(options: EnvoyBootstrapOptions): Record<string, unknown> {
  return adsBootstrap({
    node: {
      id: options.nodeId ?? `${options.gateway.namespace ?? ''}-${options.gateway.name}`,
      cluster: nodeClusterOf(options.gateway),
    },
    xdsAddress: options.xdsAddress,
    delta: options.delta !== false,
    adminPort: options.adminPort ?? 19000,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  });
}

/**
 * Any node identity against one ADS server: every Listener and Cluster from one stream, admin on loopback.
 * `envoyBootstrap` names the node after its Gateway; tests with their own ADS servers pick any identity.
 */
export function adsBootstrap(options: {
  readonly node: { readonly id: string; readonly cluster: string };
  readonly xdsAddress: string;
  readonly delta: boolean;
  readonly adminPort: number;
  readonly tls?: XdsTlsOptions;
}): Record<string, unknown> {
  const { host, port } = splitHostPort(options.xdsAddress);
  const fromAds = { ads: {}, resourceApiVersion: 'V3' };
  return {
    node: options.node,
    admin: { address: { socketAddress: { address: '127.0.0.1', portValue: options.adminPort } } },
    // The regex program-size limit the control plane validates against (model/shared/re2.ts); the admin layer
    // keeps /runtime_modify working as it does without a layered runtime.
    layeredRuntime: {
      layers: [
        {
          name: 'switchyard',
          staticLayer: { 're2.max_program_size.error_level': RE2_MAX_PROGRAM_SIZE },
        },
        { name: 'admin', adminLayer: {} },
      ],
    },
    dynamicResources: {
      adsConfig: {
        apiType: options.delta ? 'DELTA_GRPC' : 'GRPC',
        transportApiVersion: 'V3',
        grpcServices: [{ envoyGrpc: { clusterName: ADS_CLUSTER } }],
        setNodeOnFirstMessageOnly: true,
      },
      ldsConfig: fromAds,
      cdsConfig: fromAds,
    },
    staticResources: {
      clusters: [
        {
          name: ADS_CLUSTER,
          type: 'STRICT_DNS',
          connectTimeout: '5s',
          ...(options.tls === undefined ? {} : { transportSocket: xdsTransportSocket(options.tls, host) }),
          typedExtensionProtocolOptions: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicitHttpConfig: {
                http2ProtocolOptions: {
                  connectionKeepalive: { interval: '30s', timeout: '10s' },
                },
              },
            },
          },
          loadAssignment: {
            clusterName: ADS_CLUSTER,
            endpoints: [
              {
                lbEndpoints: [
                  { endpoint: { address: { socketAddress: { address: host, portValue: port } } } },
                ],
              },
            ],
          },
        },
      ],
    },
  };
}

function xdsTransportSocket(tls: XdsTlsOptions, host: string): Record<string, unknown> {
  const serverName = tls.serverName ?? host;
  const ip = isIP(serverName) !== 0;
  return {
    name: 'envoy.transport_sockets.tls',
    typedConfig: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      ...(ip ? {} : { sni: serverName }),
      commonTlsContext: {
        alpnProtocols: ['h2'],
        validationContext: {
          trustedCa: 'pem' in tls.ca ? { inlineString: tls.ca.pem } : { filename: tls.ca.file },
          matchTypedSubjectAltNames: [{ sanType: ip ? 'IP_ADDRESS' : 'DNS', matcher: { exact: serverName } }],
        },
        ...(tls.client === undefined
          ? {}
          : {
              tlsCertificates: [
                {
                  certificateChain: { filename: tls.client.certificateFile },
                  privateKey: { filename: tls.client.keyFile },
                },
              ],
            }),
      },
    },
  };
}

function splitHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`--xds must be host:port, got '${address}'`);
  }
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}
