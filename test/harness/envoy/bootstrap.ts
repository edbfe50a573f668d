// The bootstrap a test Envoy starts from: node identity, an admin listener on a loopback port Envoy picks,
// and every Listener and Cluster taken from one ADS stream (state-of-the-world or delta) to the given server.

export interface BootstrapOptions {
  /** host:port of the ADS server (plaintext gRPC). */
  adsAddress: string;
  nodeId: string;
  /** Node cluster (Envoy's --service-cluster). */
  cluster: string;
  /** Delta (incremental) xDS instead of state-of-the-world. */
  delta: boolean;
}

const ADS_CLUSTER = 'switchyard-ads';

/** The bootstrap as proto3 JSON (envoy.config.bootstrap.v3.Bootstrap). */
export function envoyBootstrap(options: BootstrapOptions): Record<string, unknown> {
  const { host, port } = splitHostPort(options.adsAddress);
  const fromAds = { ads: {}, resourceApiVersion: 'V3' };
  return {
    node: { id: options.nodeId, cluster: options.cluster },
    admin: { address: { socketAddress: { address: '127.0.0.1', portValue: 0 } } },
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
          type: 'STATIC',
          connectTimeout: '2s',
          typedExtensionProtocolOptions: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicitHttpConfig: { http2ProtocolOptions: {} },
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

function splitHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port))
    throw new Error(`ADS address must be host:port, got '${address}'`);
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}
