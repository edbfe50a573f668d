// Switchyard's own kind (switchyard.dev/v1alpha1, cluster-scoped): the GatewayClassParameters a GatewayClass's
// parametersRef names, choosing the data-plane backend and how its proxies are provisioned.

import type { KubernetesObject } from './kubernetes.ts';

export type DataPlaneBackend = 'envoy' | 'agentgateway';
export type DataPlaneServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

export interface GatewayClassParametersSpec {
  backend?: DataPlaneBackend;
  dataPlane?: { image?: string; replicas?: number; serviceType?: DataPlaneServiceType };
  xds?: { address?: string };
}

export type GatewayClassParameters = KubernetesObject<'GatewayClassParameters', GatewayClassParametersSpec>;
