// Connects the independent xDS client @grpc/grpc-js-xds to an ADS server: channels created with these
// options resolve `xds:///<listener>` through that server, each channel with its own xDS client.
import { register } from '@grpc/grpc-js-xds';

// grpc-js-xds reads a per-channel bootstrap from this option (meant for tests, as here).
const BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';

let registered = false;

/** The xDS bootstrap grpc-js-xds expects, for an ADS server at host:port (plaintext). */
export function xdsClientBootstrap(adsAddress: string, node: { id: string; cluster?: string }): object {
  return {
    xds_servers: [
      { server_uri: adsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
    ],
    node: { id: node.id, cluster: node.cluster ?? 'switchyard-test', locality: {} },
  };
}

/** Channel options that make `xds:///name` targets use the given ADS server. */
export function xdsChannelOptions(
  adsAddress: string,
  node: { id: string; cluster?: string },
): Record<string, string> {
  if (!registered) {
    register(); // installs the xds: resolver and xDS load balancers into @grpc/grpc-js
    registered = true;
  }
  return { [BOOTSTRAP_OPTION]: JSON.stringify(xdsClientBootstrap(adsAddress, node)) };
}
