// Kubernetes core shapes Switchyard reads (meta/v1, core/v1, discovery/v1): object metadata, conditions, label
// selectors, and the core kinds the Gateway API rules read (Secret, ConfigMap, Service, EndpointSlice, Namespace,
// Pod). Every field is optional where a malformed object could omit it: status functions must never crash on input.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** The envelope every kind shares: apiVersion, kind, metadata, spec and (optionally) status. */
export interface KubernetesObject<Kind extends string, Spec, Status = never> {
  apiVersion: string;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export interface Secret {
  apiVersion: string;
  kind: 'Secret';
  metadata: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface ConfigMap {
  apiVersion: string;
  kind: 'ConfigMap';
  metadata: ObjectMeta;
  data?: Record<string, string>;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

export type Service = KubernetesObject<
  'Service',
  {
    type?: string;
    clusterIP?: string;
    externalName?: string;
    ports?: ServicePort[];
    selector?: Record<string, string>;
  }
>;

export interface EndpointSlice {
  apiVersion: string;
  kind: 'EndpointSlice';
  metadata: ObjectMeta;
  addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  }[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}

export type Namespace = KubernetesObject<'Namespace', Record<string, unknown> | undefined>;

/** The part of a Pod an InferencePool reads: labels (selector), IPs and readiness (its endpoints). */
export interface Pod {
  apiVersion: string;
  kind: 'Pod';
  metadata: ObjectMeta;
  status?: {
    podIP?: string;
    podIPs?: { ip: string }[];
    conditions?: { type: string; status: ConditionStatus }[];
  };
}
