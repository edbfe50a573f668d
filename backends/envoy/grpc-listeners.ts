// Listeners for proxyless gRPC clients (grpc-js-xds and friends): an `api_listener` named `<host>:<port>`,
// the target of `xds:///<host>:<port>`, with the GRPCRoutes of that hostname inline. Served only to clients
// that ask for the name — an Envoy subscribing to every Listener never sees them.
import type { ListenerIR, PortIR } from '../../model/ir/gateway-ir.ts';
import type { ClusterSet } from './clusters.ts';
import { FILTER, type Json, TYPE } from './envoy-types.ts';
import { translateVirtualHosts } from './routes.ts';

const GRPC_KINDS: ReadonlySet<string> = new Set(['GRPCRoute']);

export function translateGrpcListeners(port: PortIR, clusters: ClusterSet): Json[] {
  const listeners = port.listeners.filter((l: ListenerIR) => l.protocol === 'HTTP' || l.protocol === 'HTTPS');
  const out: Json[] = [];
  for (const host of translateVirtualHosts(listeners, port.port, clusters, GRPC_KINDS, false)) {
    const hostname = String(host.name);
    if (hostname.includes('*')) continue;
    const name = `${hostname}:${port.port}`;
    out.push({
      name,
      apiListener: {
        apiListener: {
          '@type': TYPE.httpConnectionManager,
          statPrefix: name,
          routeConfig: { name, virtualHosts: [{ ...host, domains: [name, hostname] }] },
          httpFilters: [{ name: FILTER.router, typedConfig: { '@type': TYPE.router } }],
        },
      },
    });
  }
  return out;
}
