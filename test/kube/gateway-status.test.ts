// The real API server path every controller takes: list+watch a Gateway API object, then write its status
// with server-side apply on the /status subresource.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { kubeTest, TEST_FIELD_MANAGER } from '../harness/kube/index.ts';

const group = 'gateway.networking.k8s.io';
const version = 'v1';
const plural = 'gateways';

interface GatewayObject {
  metadata: {
    name: string;
    namespace: string;
    generation: number;
    managedFields?: { manager: string; subresource?: string }[];
  };
  spec: { gatewayClassName: string };
  status?: { conditions?: { type: string; status: string; reason: string }[] };
}

kubeTest(
  'a Gateway seen through list+watch gets its status by server-side apply on /status',
  async ({ kube }) => {
    const api = kube.kubeConfig.makeApiClient(CustomObjectsApi);
    const { namespace } = kube;
    const list = await api.listNamespacedCustomObject({ group, version, namespace, plural });
    expect(list.items).toEqual([]);

    const events: { phase: string; gateway: GatewayObject }[] = [];
    let notify = () => {};
    let watchEnded: Error | undefined;
    const watch = await new Watch(kube.kubeConfig).watch(
      `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
      { resourceVersion: list.metadata.resourceVersion },
      (phase, gateway: GatewayObject) => {
        events.push({ phase, gateway });
        notify();
      },
      (error) => {
        watchEnded = error ?? new Error('the API server closed the watch');
        notify();
      },
    );
    const nextEvent = async (matches: (event: { phase: string; gateway: GatewayObject }) => boolean) => {
      for (;;) {
        const found = events.find(matches);
        if (found) return found;
        if (watchEnded) throw watchEnded;
        await new Promise<void>((resolve) => {
          notify = resolve;
        });
      }
    };

    try {
      await api.createNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        body: {
          apiVersion: `${group}/${version}`,
          kind: 'Gateway',
          metadata: { name: 'edge', namespace },
          spec: { gatewayClassName: 'switchyard', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
        },
      });
      const added = await nextEvent((e) => e.phase === 'ADDED' && e.gateway.metadata.name === 'edge');
      expect(added.gateway.spec.gatewayClassName).toBe('switchyard');

      await api.patchNamespacedCustomObjectStatus(
        {
          group,
          version,
          namespace,
          plural,
          name: 'edge',
          fieldManager: TEST_FIELD_MANAGER,
          force: true,
          body: {
            apiVersion: `${group}/${version}`,
            kind: 'Gateway',
            metadata: { name: 'edge', namespace },
            status: {
              conditions: [
                {
                  type: 'Accepted',
                  status: 'True',
                  reason: 'Accepted',
                  message: 'accepted by the test',
                  observedGeneration: added.gateway.metadata.generation,
                  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
                },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );

      const modified = await nextEvent(
        (e) =>
          e.phase === 'MODIFIED' &&
          e.gateway.status?.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True') === true,
      );
      expect(modified.gateway.status?.conditions?.find((c) => c.type === 'Accepted')?.reason).toBe(
        'Accepted',
      );
      expect(modified.gateway.metadata.generation).toBe(added.gateway.metadata.generation);
      expect(modified.gateway.metadata.managedFields).toContainEqual(
        expect.objectContaining({ manager: TEST_FIELD_MANAGER, subresource: 'status' }),
      );
    } finally {
      watch.abort();
    }
  },
);
