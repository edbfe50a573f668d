// The flags of `switchyard controller`: the table `--help` prints and the parser checks against.
import { DEFAULT_RECORD_MAX_BYTES } from '../replay/composition.ts';
import { CLUSTER_MODE_OPTIONS } from './cluster-mode.ts';
import type { OptionTable } from './options.ts';

export const CONTROLLER_OPTIONS: OptionTable = {
  files: {
    kind: 'string',
    valueLabel: '<dir>',
    description:
      'standalone mode: read Gateway API resources from this directory of YAML instead of a cluster',
  },
  kubeconfig: {
    kind: 'string',
    valueLabel: '<file>',
    description: 'kubeconfig for Kubernetes mode (default: in-cluster, then $KUBECONFIG)',
  },
  'xds-address': {
    kind: 'address',
    default: '127.0.0.1:18000',
    valueLabel: '<host:port>',
    description:
      'serves the Envoy xDS (ADS) API; proxies find their Gateway by node cluster <namespace>/<name>',
  },
  'agentgateway-xds-address': {
    kind: 'string',
    default: 'off',
    valueLabel: '<host:port|off>',
    description:
      'serves delta xDS to agentgateway proxies (GatewayClass parameters backend: agentgateway); they find their Gateway by node metadata GATEWAY_NAME and NAMESPACE',
  },
  'xds-tls-cert': {
    kind: 'string',
    valueLabel: '<file>',
    description: 'serve xDS over TLS with this certificate chain (PEM); needs --xds-tls-key',
  },
  'xds-tls-key': {
    kind: 'string',
    valueLabel: '<file>',
    description: 'private key (PEM) of --xds-tls-cert',
  },
  'xds-tls-client-ca': {
    kind: 'string',
    valueLabel: '<file>',
    description: 'mutual TLS: require proxies to present a certificate signed by this CA (PEM)',
  },
  inspector: {
    kind: 'string',
    default: '127.0.0.1:9901',
    valueLabel: '<host:port|off>',
    description:
      'serves the actor inspector (read-only UI and JSON API); a non-loopback address needs --inspector-token',
  },
  'inspector-token': {
    kind: 'string',
    valueLabel: '<token>',
    description: 'bearer token the inspector requires on every request',
  },
  record: {
    kind: 'string',
    valueLabel: '<file.jsonl>',
    description:
      'record every outside input (files or API server reads and watch events, status-write outcomes, timers, xDS publishes, proxy ACKs/NACKs) to this event log, for `switchyard replay` (mode 0600); secret values (Secret data, inline keys, tokens) are replaced by a marker and a digest, so the log can be shared',
  },
  'record-secrets': {
    kind: 'boolean',
    default: false,
    description:
      'with --record: write secret values into the event log as read (a replay then checks certificates and keys exactly); the log must then be kept like the Secrets themselves, never shared',
  },
  'record-max-bytes': {
    kind: 'integer',
    min: 65_536,
    default: DEFAULT_RECORD_MAX_BYTES,
    valueLabel: '<bytes>',
    description: 'size at which the event log rotates (3 segments are kept)',
  },
  'local-envoy': {
    kind: 'string',
    valueLabel: '<envoy binary>',
    description: 'standalone mode: run a local Envoy per Gateway with this binary, restarted if it exits',
  },
  crds: {
    kind: 'list',
    valueLabel: '<file-or-dir>',
    description:
      "standalone mode: CustomResourceDefinitions whose schemas and validation rules objects must pass, as the API server would check them (repeatable), in place of the same CRDs of the defaults: Switchyard's own (deploy/crds/) and Gateway API's and InferencePool's releases, fetched into the user's cache on first use (switchyard fetch-crds)",
  },
  'extproc-config': {
    kind: 'string',
    valueLabel: '<file>',
    description:
      'standalone mode: write the AI Gateway ext_proc configuration (from AIGatewayRoutes) to this file for `switchyard extproc --config`',
  },
  'extproc-address': {
    kind: 'string',
    default: '127.0.0.1:1063',
    valueLabel: '<host:port|unix:/path>',
    description: 'where Envoy reaches `switchyard extproc` for Gateways with AIGatewayRoutes',
  },
  'mcp-config': {
    kind: 'string',
    valueLabel: '<file>',
    description:
      'standalone mode: write the MCP proxy configuration (from MCPRoutes) to this file for `switchyard mcp --config`',
  },
  'mcp-address': {
    kind: 'string',
    default: '127.0.0.1:1064',
    valueLabel: '<host:port|unix:/path>',
    description: 'where Envoy reaches `switchyard mcp` for Gateways with MCPRoutes',
  },
  'ratelimit-address': {
    kind: 'string',
    valueLabel: '<host:port>',
    description:
      "where Envoy reaches the rate limit service (envoyproxy/ratelimit's gRPC port) for global rate limits; the service takes its configuration from --xds-address (node id ratelimit~<name>)",
  },
  'ratelimit-fail-closed': {
    kind: 'boolean',
    default: false,
    description:
      'refuse requests (500) that a global rate limit applies to while the rate limit service cannot answer; by default they pass',
  },
  'status-dir': {
    kind: 'string',
    valueLabel: '<dir>',
    description: 'standalone mode: also write every computed status as YAML under this directory',
  },
  'controller-name': {
    kind: 'string',
    default: 'switchyard.dev/gateway-controller',
    description: 'GatewayClass spec.controllerName this controller owns',
  },
  'http-address': {
    kind: 'address',
    default: '127.0.0.1:8081',
    valueLabel: '<host:port>',
    description: 'serves /metrics, /livez and /readyz',
  },
  'otlp-endpoint': {
    kind: 'string',
    valueLabel: '<url>',
    description:
      'export OpenTelemetry traces of the actor pipeline over OTLP/HTTP to this URL (e.g. http://collector:4318/v1/traces); off when unset',
  },
  'trace-sample-percent': {
    kind: 'integer',
    min: 0,
    max: 100,
    default: 100,
    valueLabel: '<0-100>',
    description: 'share of traces (outside inputs and what they cause) exported when --otlp-endpoint is set',
  },
  'log-level': {
    kind: 'enum',
    values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    default: 'info',
    description: 'log level (JSON logs on stderr)',
  },
  'shutdown-timeout': {
    kind: 'integer',
    min: 1,
    max: 28,
    default: 20,
    valueLabel: '<seconds>',
    description:
      'on SIGTERM, drain queued work for at most this long (kept below the 30 s Kubernetes grace period)',
  },
  'quiet-gc': {
    kind: 'integer',
    min: 0,
    max: 3600,
    default: 5,
    valueLabel: '<seconds>',
    description:
      "after this long without work following a burst that grew RSS, run a memory-reducing garbage collection, which hands back the heap pages V8 keeps resident after ordinary collections (0: never; V8's own reducer does it ~100 s after the last major collection at best)",
  },
  ...CLUSTER_MODE_OPTIONS,
};
