// Envoy Gateway's kinds Switchyard reads (gateway.envoyproxy.io/v1alpha1, as of Envoy Gateway v1.9): Backend,
// EnvoyProxy and HTTPRouteFilter — their shapes (every field optional where a malformed object could omit it) and
// their fields described once as FieldSchemas: deploy/crds/ is generated from them (envoy-gateway-crds.ts) and
// the rules in model/policies/ check every object against them, so an unknown field is named in a condition.
// Known is not supported: the rules also refuse, by name, the fields Switchyard does not apply. The policy kinds
// (SecurityPolicy, …) are in envoy-gateway-policies.ts.

import { bool, type FieldSchema, free, int, list, map, obj, str } from './field-schema.ts';
import type {
  HTTPHeaderFilter,
  LocalObjectReference,
  ParentReference,
  SecretObjectReference,
} from './gateway-api.ts';
import type { Condition, KubernetesObject } from './kubernetes.ts';

export const ENVOY_GATEWAY_GROUP = 'gateway.envoyproxy.io';
export const ENVOY_GATEWAY_KINDS = ['Backend', 'EnvoyProxy', 'HTTPRouteFilter'] as const;
export type EnvoyGatewayKind = (typeof ENVOY_GATEWAY_KINDS)[number];

// ---- Backend ------------------------------------------------------------------------------------------------

export interface BackendEndpoint {
  fqdn?: { hostname: string; port: number };
  ip?: { address: string; port: number };
  unix?: { path: string };
  hostname?: string;
  zone?: string;
}

export type TLSVersion = 'Auto' | '1.0' | '1.1' | '1.2' | '1.3';

/** TLS parameters of a connection to a backend (EG's TLSSettings, with the client certificate). */
export interface BackendTLSConfig {
  clientCertificateRef?: SecretObjectReference;
  minVersion?: TLSVersion;
  maxVersion?: TLSVersion;
  ciphers?: string[];
  ecdhCurves?: string[];
  signatureAlgorithms?: string[];
  alpnProtocols?: string[];
  fingerprints?: string[];
}

export interface BackendTLSSettings extends BackendTLSConfig {
  caCertificateRefs?: LocalObjectReference[];
  wellKnownCACertificates?: 'System' | (string & {});
  insecureSkipVerify?: boolean;
  sni?: string;
  autoSNIFromEndpointHostname?: boolean;
}

export type BackendAppProtocol =
  | 'gateway.envoyproxy.io/h2c'
  | 'gateway.envoyproxy.io/ws'
  | 'gateway.envoyproxy.io/wss'
  | (string & {});

export interface BackendSpec {
  type?: 'Endpoints' | 'DynamicResolver' | (string & {});
  endpoints?: BackendEndpoint[];
  appProtocols?: BackendAppProtocol[];
  fallback?: boolean;
  tls?: BackendTLSSettings;
}

export type Backend = KubernetesObject<'Backend', BackendSpec, { conditions?: Condition[] }>;

// ---- EnvoyProxy ---------------------------------------------------------------------------------------------

/** A Kubernetes object copied unchanged onto the provisioned Deployment (affinity, a toleration, …). */
export type KubernetesValue = Record<string, unknown>;

export interface KubernetesPodSpec {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  securityContext?: KubernetesValue;
  affinity?: KubernetesValue;
  tolerations?: KubernetesValue[];
  volumes?: KubernetesValue[];
  imagePullSecrets?: KubernetesValue[];
  nodeSelector?: Record<string, string>;
  topologySpreadConstraints?: KubernetesValue[];
  priorityClassName?: string;
}

export interface KubernetesContainerSpec {
  env?: KubernetesValue[];
  resources?: KubernetesValue;
  securityContext?: KubernetesValue;
  image?: string;
  imageRepository?: string;
  volumeMounts?: KubernetesValue[];
}

export interface KubernetesDeploymentSpec {
  replicas?: number;
  strategy?: KubernetesValue;
  pod?: KubernetesPodSpec;
  container?: KubernetesContainerSpec;
  initContainers?: KubernetesValue[];
  patch?: KubernetesValue;
  name?: string;
}

export interface KubernetesServiceSpec {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  type?: 'ClusterIP' | 'LoadBalancer' | 'NodePort' | (string & {});
  loadBalancerClass?: string;
  allocateLoadBalancerNodePorts?: boolean;
  loadBalancerSourceRanges?: string[];
  loadBalancerIP?: string;
  externalTrafficPolicy?: 'Local' | 'Cluster' | (string & {});
  patch?: KubernetesValue;
  name?: string;
}

export interface EnvoyProxyKubernetesProvider {
  envoyDeployment?: KubernetesDeploymentSpec;
  envoyDaemonSet?: KubernetesValue;
  envoyService?: KubernetesServiceSpec;
  envoyHpa?: KubernetesValue;
  useListenerPortAsContainerPort?: boolean;
  envoyPDB?: KubernetesValue;
  envoyServiceAccount?: { name?: string };
}

export interface ProxyAccessLogFormat {
  type?: 'Text' | 'JSON' | (string & {});
  text?: string;
  json?: Record<string, string>;
}

export interface ProxyAccessLogSink {
  type?: 'ALS' | 'File' | 'OpenTelemetry' | (string & {});
  file?: { path?: string };
  als?: KubernetesValue;
  openTelemetry?: KubernetesValue;
}

export interface ProxyAccessLogSetting {
  format?: ProxyAccessLogFormat;
  matches?: string[];
  sinks?: ProxyAccessLogSink[];
  type?: 'Listener' | 'Route' | 'Upstream' | (string & {});
}

export interface ProxyTelemetry {
  accessLog?: { disable?: boolean; settings?: ProxyAccessLogSetting[] };
  tracing?: KubernetesValue;
  metrics?: {
    prometheus?: { disable?: boolean; compression?: KubernetesValue };
    sinks?: KubernetesValue[];
    matches?: KubernetesValue[];
    enableVirtualHostStats?: boolean;
    enablePerEndpointStats?: boolean;
    enableRequestResponseSizesStats?: boolean;
    enableGRPCStats?: boolean;
    clusterStatName?: string;
  };
  requestID?: KubernetesValue;
  healthCheckLog?: KubernetesValue;
}

export interface EnvoyProxySpec {
  provider?: {
    type?: 'Kubernetes' | 'Host' | (string & {});
    kubernetes?: EnvoyProxyKubernetesProvider;
    host?: { envoyVersion?: string };
  };
  logging?: { level?: Record<string, string> };
  telemetry?: ProxyTelemetry;
  bootstrap?: KubernetesValue;
  concurrency?: number;
  routingType?: 'Service' | 'Endpoint' | (string & {});
  extraArgs?: string[];
  mergeGateways?: boolean;
  mergeBackends?: KubernetesValue;
  shutdown?: KubernetesValue;
  filterOrder?: KubernetesValue[];
  backendTLS?: KubernetesValue;
  ipFamily?: 'IPv4' | 'IPv6' | 'DualStack' | (string & {});
  preserveRouteOrder?: boolean;
  luaValidation?: string;
  dynamicModules?: KubernetesValue[];
  geoIP?: KubernetesValue;
  mergeType?: 'Replace' | 'StrategicMerge' | 'JSONMerge' | (string & {});
}

export interface EnvoyProxyAncestorStatus {
  ancestorRef: ParentReference;
  conditions?: Condition[];
}

export type EnvoyProxy = KubernetesObject<
  'EnvoyProxy',
  EnvoyProxySpec,
  { ancestors?: EnvoyProxyAncestorStatus[] }
>;

// ---- HTTPRouteFilter ----------------------------------------------------------------------------------------

export interface HTTPRouteFilterSpec {
  urlRewrite?: {
    path?: {
      type?: 'ReplaceRegexMatch' | (string & {});
      replaceRegexMatch?: { pattern?: string; substitution?: string };
    };
    hostname?: {
      type?: 'Header' | 'Backend' | 'PathRegex' | (string & {});
      header?: string;
      pathRegex?: { pattern?: string; substitution?: string };
    };
    appendXForwardedHost?: boolean;
  };
  directResponse?: {
    contentType?: string;
    statusCode?: number;
    body?: { type?: 'Inline' | 'ValueRef' | (string & {}); inline?: string; valueRef?: LocalObjectReference };
    header?: HTTPHeaderFilter;
  };
  credentialInjection?: {
    header?: string;
    overwrite?: boolean;
    credential?: {
      valueRef?: { group?: string; kind?: string; name?: string; namespace?: string };
    };
  };
  requestMirror?: KubernetesValue;
  matches?: KubernetesValue[];
}

/** EG's HTTPRouteFilter kind (not Gateway API's HTTPRouteFilter filter entry of a rule, also in resources.ts). */
export type EnvoyHTTPRouteFilter = KubernetesObject<'HTTPRouteFilter', HTTPRouteFilterSpec>;

// ---- Field schemas (deploy/crds/ is generated from them; the rules name the fields they do not know) ---------

const localRef = obj({ group: str(), kind: str(), name: str() }, ['group', 'kind', 'name']);
const secretRef = obj({ group: str(), kind: str(), name: str(), namespace: str() }, ['name']);
const port = int(0, 65535);
const tlsVersion = str(['Auto', '1.0', '1.1', '1.2', '1.3']);

/** EG's TLSSettings, inlined into a Backend's `tls` and a ClientTrafficPolicy's `tls`. */
export const TLS_SETTINGS_FIELDS: Readonly<Record<string, FieldSchema>> = {
  minVersion: tlsVersion,
  maxVersion: tlsVersion,
  ciphers: list(str()),
  ecdhCurves: list(str()),
  signatureAlgorithms: list(str()),
  alpnProtocols: list(str(['http/1.0', 'http/1.1', 'h2'])),
  fingerprints: list(str(['JA3', 'JA4'])),
};

const stringMap = map(str());
const headers = list(obj({ name: str(), value: str() }, ['name', 'value']));

export const BACKEND_SPEC: FieldSchema = obj({
  type: str(['Endpoints', 'DynamicResolver']),
  endpoints: list(
    obj({
      fqdn: obj({ hostname: str(), port }, ['hostname', 'port']),
      ip: obj({ address: str(), port }, ['address', 'port']),
      unix: obj({ path: str() }, ['path']),
      hostname: str(),
      zone: str(),
    }),
    256,
  ),
  appProtocols: list(
    str(['gateway.envoyproxy.io/h2c', 'gateway.envoyproxy.io/ws', 'gateway.envoyproxy.io/wss']),
  ),
  fallback: bool,
  tls: obj({
    caCertificateRefs: list(localRef, 8),
    wellKnownCACertificates: str(),
    insecureSkipVerify: bool,
    sni: str(),
    autoSNIFromEndpointHostname: bool,
    clientCertificateRef: secretRef,
    ...TLS_SETTINGS_FIELDS,
  }),
});

export const ENVOY_PROXY_SPEC: FieldSchema = obj({
  provider: obj(
    {
      type: str(['Kubernetes', 'Host']),
      kubernetes: obj({
        envoyDeployment: obj({
          replicas: int(0),
          strategy: free,
          pod: obj({
            annotations: stringMap,
            labels: stringMap,
            securityContext: free,
            affinity: free,
            tolerations: list(free),
            volumes: list(free),
            imagePullSecrets: list(free),
            nodeSelector: stringMap,
            topologySpreadConstraints: list(free),
            priorityClassName: str(),
          }),
          container: obj({
            env: list(free),
            resources: free,
            securityContext: free,
            image: str(),
            imageRepository: str(),
            volumeMounts: list(free),
          }),
          initContainers: list(free),
          patch: free,
          name: str(),
        }),
        envoyDaemonSet: free,
        envoyService: obj({
          annotations: stringMap,
          labels: stringMap,
          type: str(['ClusterIP', 'LoadBalancer', 'NodePort']),
          loadBalancerClass: str(),
          allocateLoadBalancerNodePorts: bool,
          loadBalancerSourceRanges: list(str()),
          loadBalancerIP: str(),
          externalTrafficPolicy: str(['Local', 'Cluster']),
          patch: free,
          name: str(),
        }),
        envoyHpa: free,
        useListenerPortAsContainerPort: bool,
        envoyPDB: free,
        envoyServiceAccount: obj({ name: str() }),
      }),
      host: obj({ envoyVersion: str() }),
    },
    ['type'],
  ),
  logging: obj({ level: map(str(['trace', 'debug', 'info', 'warn', 'error', 'off', 'critical'])) }),
  telemetry: obj({
    accessLog: obj({
      disable: bool,
      settings: list(
        obj({
          format: obj({ type: str(['Text', 'JSON']), text: str(), json: stringMap }),
          matches: list(str(), 10),
          sinks: list(
            obj({
              type: str(['ALS', 'File', 'OpenTelemetry']),
              file: obj({ path: str() }),
              als: free,
              openTelemetry: free,
            }),
            50,
          ),
          type: str(['Listener', 'Route', 'Upstream']),
        }),
        50,
      ),
    }),
    tracing: free,
    metrics: obj({
      prometheus: obj({ disable: bool, compression: free }),
      sinks: list(free, 16),
      matches: list(free),
      enableVirtualHostStats: bool,
      enablePerEndpointStats: bool,
      enableRequestResponseSizesStats: bool,
      enableGRPCStats: bool,
      clusterStatName: str(),
    }),
    requestID: free,
    healthCheckLog: free,
  }),
  bootstrap: free,
  concurrency: int(),
  routingType: str(['Service', 'Endpoint']),
  extraArgs: list(str()),
  mergeGateways: bool,
  mergeBackends: free,
  shutdown: free,
  filterOrder: list(free),
  backendTLS: free,
  ipFamily: str(['IPv4', 'IPv6', 'DualStack']),
  preserveRouteOrder: bool,
  luaValidation: str(['Strict', 'InsecureSyntax', 'Disabled']),
  dynamicModules: list(free),
  geoIP: free,
  mergeType: str(['Replace', 'StrategicMerge', 'JSONMerge']),
});

const regexSubstitution = obj({ pattern: str(), substitution: str() }, ['pattern', 'substitution']);

export const HTTP_ROUTE_FILTER_SPEC: FieldSchema = obj({
  urlRewrite: obj({
    path: obj({ type: str(['ReplaceRegexMatch']), replaceRegexMatch: regexSubstitution }, ['type']),
    hostname: obj(
      { type: str(['Header', 'Backend', 'PathRegex']), header: str(), pathRegex: regexSubstitution },
      ['type'],
    ),
    appendXForwardedHost: bool,
  }),
  directResponse: obj({
    contentType: str(),
    statusCode: int(),
    body: obj({ type: str(['Inline', 'ValueRef']), inline: str(), valueRef: localRef }),
    header: obj({ set: headers, add: headers, remove: list(str()) }),
  }),
  credentialInjection: obj(
    { header: str(), overwrite: bool, credential: obj({ valueRef: secretRef }, ['valueRef']) },
    ['credential'],
  ),
  requestMirror: free,
  matches: list(free, 8),
});

/** The spec schema of each of these kinds. */
export const ENVOY_GATEWAY_SPEC_SCHEMAS: Readonly<Record<EnvoyGatewayKind, FieldSchema>> = {
  Backend: BACKEND_SPEC,
  EnvoyProxy: ENVOY_PROXY_SPEC,
  HTTPRouteFilter: HTTP_ROUTE_FILTER_SPEC,
};
