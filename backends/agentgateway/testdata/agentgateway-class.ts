// The fixtures' GatewayClass `switchyard` turned to agentgateway (GatewayClassParameters `agw`, backend: agentgateway).
import type { ResourceStore } from '../../../model/shared/resource-view.ts';
import { CONTROLLER } from '../../../model/testdata/fixtures.ts';

export function onAgentgateway(store: ResourceStore): ResourceStore {
  store.upsert({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name: 'switchyard', generation: 1 },
    spec: {
      controllerName: CONTROLLER,
      parametersRef: { group: 'switchyard.dev', kind: 'GatewayClassParameters', name: 'agw' },
    },
  } as never);
  store.upsert({
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'GatewayClassParameters',
    metadata: { name: 'agw' },
    spec: { backend: 'agentgateway' },
  } as never);
  return store;
}
