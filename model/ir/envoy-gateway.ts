// The Gateway IR's parts that come from Envoy Gateway's kinds: a resolved Backend (its endpoints and the TLS
// the data plane speaks to them) and the settings of an EnvoyProxy. Types only: model/policies/ produces them.

import type { KubernetesValue, TLSVersion } from '../resources/envoy-gateway.ts';
import type { ResourceKey } from '../resources/resource-key.ts';

/** One endpoint the data plane connects to: a name or address with a port, or a Unix socket. */
export type BackendEndpointIR =
  | { readonly address: string; readonly port: number; readonly hostname?: string }
  | { readonly path: string; readonly hostname?: string };

/** TLS from the data plane to a Backend's endpoints (its `spec.tls`). */
export interface UpstreamTLS {
  /** Fixed SNI; without SNI settings the request's Host header is sent (and checked) instead. */
  readonly sni?: string;
  /** Each endpoint's hostname is its SNI. */
  readonly autoSNIFromEndpointHostname?: boolean;
  /** How the backend's certificate is checked: against a CA bundle (PEM), the system store, or not at all. */
  readonly verify: { readonly caBundle: string } | 'System' | 'InsecureSkipVerify';
  /** A kubernetes.io/tls Secret presented to the backend; its material travels with the IR's TLS material. */
  readonly clientCertificate?: ResourceKey;
  readonly minVersion: TLSVersion;
  readonly maxVersion: TLSVersion;
  readonly ciphers?: readonly string[];
  readonly ecdhCurves?: readonly string[];
  readonly signatureAlgorithms?: readonly string[];
  readonly alpnProtocols?: readonly string[];
  /** Names the backend's certificate must carry (a BackendTLSPolicy's); without them, the SNI. */
  readonly subjectAltNames?: readonly { readonly type: 'Hostname' | 'URI'; readonly value: string }[];
  /** The BackendTLSPolicy whose validation this is, when one targets the Backend. */
  readonly policy?: ResourceKey;
}

/** A resolved Backend, as the IR carries it. */
export interface EnvoyGatewayBackendIR {
  readonly kind: 'Backend';
  readonly backend: ResourceKey;
  /** FQDN: every endpoint a DNS name, resolved by the data plane; Static: IP addresses and Unix sockets. */
  readonly addressType: 'FQDN' | 'Static';
  readonly endpoints: readonly BackendEndpointIR[];
  /** `kubernetes.io/h2c` (HTTP/2 without TLS) or `kubernetes.io/ws` (WebSocket, HTTP/1.1) from appProtocols. */
  readonly appProtocol?: string;
  readonly tls?: UpstreamTLS;
}

/** One access log Envoy writes: a file (stdout by default) in Envoy's text or JSON format. */
export interface AccessLogIR {
  readonly path: string;
  readonly format: { readonly text: string } | { readonly json: Readonly<Record<string, string>> };
  /** Listener: connections no route took; Route: requests and connections of routes; both when absent. */
  readonly type?: 'Listener' | 'Route';
}

/** What the EnvoyProxy (merged, validated) asks of a Gateway's Envoy data plane. */
export interface EnvoyProxyIR {
  /** The EnvoyProxies merged into these settings: the class's, then the Gateway's. */
  readonly sources: readonly ResourceKey[];
  /** Cluster mode: the provisioned Deployment. Kubernetes objects are copied as given. */
  readonly deployment: {
    readonly replicas?: number;
    readonly image?: string;
    readonly imageRepository?: string;
    readonly strategy?: KubernetesValue;
    readonly resources?: KubernetesValue;
    readonly env?: readonly KubernetesValue[];
    readonly volumeMounts?: readonly KubernetesValue[];
    readonly initContainers?: readonly KubernetesValue[];
    readonly pod: {
      readonly labels?: Readonly<Record<string, string>>;
      readonly annotations?: Readonly<Record<string, string>>;
      readonly affinity?: KubernetesValue;
      readonly tolerations?: readonly KubernetesValue[];
      readonly volumes?: readonly KubernetesValue[];
      readonly imagePullSecrets?: readonly KubernetesValue[];
      readonly nodeSelector?: Readonly<Record<string, string>>;
      readonly topologySpreadConstraints?: readonly KubernetesValue[];
      readonly priorityClassName?: string;
    };
  };
  /** Cluster mode: the provisioned Service. */
  readonly service: {
    readonly type?: 'ClusterIP' | 'LoadBalancer' | 'NodePort';
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly loadBalancerClass?: string;
    readonly allocateLoadBalancerNodePorts?: boolean;
    readonly loadBalancerSourceRanges?: readonly string[];
    readonly loadBalancerIP?: string;
    readonly externalTrafficPolicy?: 'Local' | 'Cluster';
  };
  /** Envoy's command line, in a cluster and for `controller --local-envoy` alike. */
  readonly logLevel: { readonly default: string; readonly components: Readonly<Record<string, string>> };
  readonly concurrency?: number;
  readonly extraArgs: readonly string[];
  /** xDS: access logs of every listener and route (empty: none). */
  readonly accessLogs: readonly AccessLogIR[];
}

/** The part of EnvoyProxyIR that is Envoy's command line (a change restarts a local Envoy). */
export type EnvoyProcessIR = Pick<EnvoyProxyIR, 'logLevel' | 'concurrency' | 'extraArgs'>;

export function envoyProcessOf(envoyProxy: EnvoyProxyIR | undefined): EnvoyProcessIR | undefined {
  if (envoyProxy === undefined) return undefined;
  const { logLevel, concurrency, extraArgs } = envoyProxy;
  return { logLevel, ...(concurrency === undefined ? {} : { concurrency }), extraArgs };
}

/** A regular expression (RE2) and what replaces each part of a value it matches (`\1` names a group). */
export interface RegexSubstitution {
  readonly pattern: string;
  readonly substitution: string;
}

export interface ResponseHeaderEdits {
  readonly set: readonly { readonly name: string; readonly value: string }[];
  readonly add: readonly { readonly name: string; readonly value: string }[];
}

/** What an Envoy Gateway HTTPRouteFilter does to the requests of the rule that references it. */
export interface HTTPRouteFilterIR {
  readonly filter: ResourceKey;
  /** Answer here: status, body, response headers (Content-Type among the set ones). */
  readonly directResponse?: {
    readonly status: number;
    readonly body?: string;
    readonly headers: ResponseHeaderEdits;
  };
  /** Rewrite the path: every part the pattern matches is substituted. */
  readonly pathRegexRewrite?: RegexSubstitution;
  /** Rewrite the Host: from a request header, to the backend's hostname, or computed from the path. */
  readonly hostRewrite?:
    | { readonly header: string }
    | { readonly backend: true }
    | { readonly pathRegex: RegexSubstitution };
  /** With a Host rewrite: the original Host is appended to X-Forwarded-Host (Envoy Gateway's default, true). */
  readonly appendXForwardedHost?: boolean;
  /** Put a credential from a Secret into a request header before it goes to the backend. */
  readonly credentialInjection?: CredentialInjectionIR;
}

/** An HTTPRouteFilter's `credentialInjection`, its Secret read. */
export interface CredentialInjectionIR {
  /** The Secret the credential comes from (its key `credential`). */
  readonly secret: ResourceKey;
  readonly credential: string;
  /** The request header it goes into (Authorization by default). */
  readonly header: string;
  /** Replace a value the request already has; otherwise the request keeps its own. */
  readonly overwrite: boolean;
}

/**
 * An HTTPRoute rule's ExtensionRef filter as the IR carries it: the HTTPRouteFilter it names, resolved, or why it
 * cannot be used — the rule then answers 500, as Envoy Gateway answers an unresolvable filter.
 */
export interface ExtensionRefFilterIR {
  readonly type: 'ExtensionRef';
  readonly extensionRef: { readonly group: string; readonly kind: string; readonly name: string };
  readonly httpRouteFilter?: HTTPRouteFilterIR;
  readonly problem?: string;
}
