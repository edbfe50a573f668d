// A cluster for one of Switchyard's own services (the ext_proc service, the MCP proxy) at an address the
// controller is given: `host:port` (an IP is used as is, a name — a Service in cluster mode — resolves by DNS) or
// `unix:/path`.
import { isIP } from 'node:net';
import type { Json } from './envoy-types.ts';

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export function serviceCluster(name: string, address: string, protocolOptions: Json): Json {
  const socketAddress = address.startsWith('unix:')
    ? { pipe: { path: address.slice('unix:'.length) } }
    : (() => {
        const colon = address.lastIndexOf(':');
        return {
          socketAddress: {
            address: address.slice(0, colon).replace(/^\[|\]$/g, ''),
            portValue: Number(address.slice(colon + 1)),
          },
        };
      })();
  const literal = 'pipe' in socketAddress || isIP(socketAddress.socketAddress.address) !== 0;
  return {
    name,
    type: literal ? 'STATIC' : 'STRICT_DNS',
    connectTimeout: '5s',
    loadAssignment: {
      clusterName: name,
      endpoints: [{ lbEndpoints: [{ endpoint: { address: socketAddress } }] }],
    },
    typedExtensionProtocolOptions: {
      [HTTP_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_OPTIONS}`, ...protocolOptions },
    },
  };
}
