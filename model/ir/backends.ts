// The backends the IR carries, resolved: a route's backendRefs and a policy's services (model/ir/policies.ts)
// alike — a Service's ready endpoints and the TLS to it, an InferencePool, or an Envoy Gateway Backend. Types only.
import type { ResourceKey } from '../resources/resource-key.ts';
import type { EnvoyGatewayBackendIR } from './envoy-gateway.ts';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export type ResolvedBackend =
  | {
      readonly kind: 'Service';
      readonly service: ResourceKey;
      readonly port: number;
      readonly protocol: 'TCP' | 'UDP' | 'SCTP';
      readonly appProtocol?: string;
      /** ExternalName Services resolve by DNS, not endpoints. */
      readonly externalName?: string;
      /** TLS to the backend, from the BackendTLSPolicy in force for this Service port. */
      readonly tls?: BackendTLS;
      readonly endpoints: readonly Endpoint[];
    }
  | {
      readonly kind: 'InferencePool';
      readonly pool: ResourceKey;
      readonly targetPorts: readonly number[];
      readonly selector: Readonly<Record<string, string>>;
      readonly appProtocol?: string;
      /** Ready member Pods × targetPorts (absent in IRs built before Pods were read: none). */
      readonly endpoints?: readonly Endpoint[];
      readonly endpointPicker?: {
        readonly service: ResourceKey;
        readonly port?: number;
        readonly failureMode: 'FailOpen' | 'FailClose';
        /** The picker Service's ready endpoints on that port. */
        readonly endpoints: readonly Endpoint[];
        /** Why the reference cannot be used (the pool's ResolvedRefs=False/InvalidExtensionRef); its share answers 500. */
        readonly problem?: string;
      };
    }
  | EnvoyGatewayBackendIR;

export interface BackendTLS {
  readonly policy: ResourceKey;
  /** SNI and, without subjectAltNames, the name the backend certificate must carry. */
  readonly hostname: string;
  readonly subjectAltNames: readonly { readonly type: 'Hostname' | 'URI'; readonly value: string }[];
  /** ConfigMaps holding the trusted CA bundle (`ca.crt`), or the system trust store. */
  readonly caCertificates: readonly ResourceKey[] | 'System';
  /** The PEM of those ConfigMaps' `ca.crt`, concatenated (absent for the system store). Public material. */
  readonly caBundle?: string;
}
