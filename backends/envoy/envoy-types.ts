// Type URLs and constant fragments of the Envoy configuration we generate (proto3 JSON).

export const TYPE = {
  httpConnectionManager:
    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  cors: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors',
  corsPolicy: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
  tcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  udpProxy: 'type.googleapis.com/envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig',
  udpRoute: 'type.googleapis.com/envoy.extensions.filters.udp.udp_proxy.v3.Route',
  tlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  downstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  upstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
} as const;

export const FILTER = {
  httpConnectionManager: 'envoy.filters.network.http_connection_manager',
  router: 'envoy.filters.http.router',
  cors: 'envoy.filters.http.cors',
  tcpProxy: 'envoy.filters.network.tcp_proxy',
  udpProxy: 'envoy.filters.udp_listener.udp_proxy',
  tlsInspector: 'envoy.filters.listener.tls_inspector',
  tlsTransportSocket: 'envoy.transport_sockets.tls',
} as const;

/** Everything dynamic comes over the one ADS stream. */
export const ADS_SOURCE = { ads: {}, resourceApiVersion: 'V3' } as const;

/** A cluster with no hosts: what a TCP/TLS/UDP route with no usable backend forwards to (the connection closes). */
export const BLACKHOLE_CLUSTER = 'switchyard/blackhole';

/** Where the data plane's image keeps the system trust store (`wellKnownCACertificates: System`). */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export type Json = Record<string, unknown>;
