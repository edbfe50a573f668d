import { adsBootstrap, type XdsTlsOptions } from '../../../backends/envoy/bootstrap.ts';

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
  tls?: XdsTlsOptions;
}

/** The bootstrap as proto3 JSON (envoy.config.bootstrap.v3.Bootstrap): the backend's, with any node identity. */
export function envoyBootstrap(options: BootstrapOptions): Record<string, unknown> {
  return adsBootstrap({
    node: { id: options.nodeId, cluster: options.cluster },
    xdsAddress: options.adsAddress,
    delta: options.delta,
    adminPort: 0,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  });
}
