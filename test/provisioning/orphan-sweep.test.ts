// The provisioner's start-up sweep against a real kube-apiserver (no garbage collector runs here, as on a cluster
// without a controller manager): data-plane objects left behind while no controller ran are deleted when their
// Gateway is gone or no longer ours; a live Gateway's objects, objects without our label and another controller's
// objects stay.
import type { KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { envoyDataPlaneTemplate } from '../../backends/envoy/data-plane-template.ts';
import {
  PROVISIONED_BY_ANNOTATION,
  PROVISIONED_GATEWAY_LABEL,
} from '../../model/provisioning/provisioning.ts';
import {
  eventually,
  gatewayClassYaml,
  gatewayYaml,
  yamlObjects,
} from '../controlplane/kubernetes-harness.ts';
import { kubeTest, serverSideApply } from '../harness/kube/index.ts';
import { getObject, KINDS, parameterizedClassYaml, provisioningPlanes } from './provisioned-objects.ts';

const start = provisioningPlanes('envoy', envoyDataPlaneTemplate(), 'switchyard.switchyard-system.svc:18000');

/** A Gateway uid that no Gateway has: its owner is gone. */
const GONE_UID = '00000000-0000-4000-8000-000000000000';

/**
 * The four objects an earlier process provisioned for the Gateway `gateway` (uid `uid`): with our label unless
 * `labelled` is false, annotated with the controller `by` that made them when given.
 */
function leftovers(
  ns: string,
  gateway: string,
  uid: string,
  options: { labelled?: boolean; by?: string } = {},
): KubernetesObject[] {
  const name = `switchyard-${gateway}`;
  const selector: Record<string, string> =
    options.labelled === false ? { app: name } : { [PROVISIONED_GATEWAY_LABEL]: name };
  const metadata = {
    name,
    namespace: ns,
    labels: selector,
    ...(options.by === undefined ? {} : { annotations: { [PROVISIONED_BY_ANNOTATION]: options.by } }),
    ownerReferences: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: gateway, uid }],
  };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { 'envoy.json': '{}' } } as KubernetesObject,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: selector },
          spec: { containers: [{ name: 'data-plane', image: 'example.com/left-behind:1' }] },
        },
      },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: { selector, ports: [{ name: 'tcp-80', port: 80, protocol: 'TCP' }] },
    } as KubernetesObject,
  ];
}

kubeTest(
  'at start-up, what was provisioned for a deleted Gateway or one no longer ours is deleted, and nothing else',
  async ({ kube }) => {
    const ns = kube.namespace;
    const controllerName = `switchyard.dev/${ns}`;
    const className = `sweep-${ns}`;
    const applied = await serverSideApply(
      kube.kubeConfig,
      yamlObjects(`
${parameterizedClassYaml(className, controllerName, '{backend: envoy, dataPlane: {serviceType: ClusterIP}}')}
---
${gatewayClassYaml(`${className}-other`, 'example.com/someone-else')}
---
${gatewayYaml(ns, 'live', className)}
---
${gatewayYaml(ns, 'moved', `${className}-other`)}
`),
    );
    const uidOf = (name: string) =>
      String(
        applied.find((object) => object.kind === 'Gateway' && object.metadata?.name === name)?.metadata?.uid,
      );
    const left = await serverSideApply(kube.kubeConfig, [
      // Deleted: a gone Gateway's (ours, and unannotated from before the annotation), a Gateway now another's.
      ...leftovers(ns, 'ghost', GONE_UID, { by: controllerName }),
      ...leftovers(ns, 'relic', GONE_UID),
      ...leftovers(ns, 'moved', uidOf('moved'), { by: controllerName }),
      // Kept: a live Gateway's, objects without our label, another controller's.
      ...leftovers(ns, 'live', uidOf('live'), { by: controllerName }),
      ...leftovers(ns, 'stray', GONE_UID, { labelled: false }),
      ...leftovers(ns, 'alien', GONE_UID, { by: 'example.com/someone-else' }),
    ]);
    // The uids of the objects meant to stay, by kind as KINDS orders them, as created before the plane starts.
    const created = (gateway: string) =>
      KINDS.map(
        (kind) =>
          left.find((object) => object.kind === kind && object.metadata?.name === `switchyard-${gateway}`)
            ?.metadata?.uid,
      );
    const before = { live: created('live'), stray: created('stray'), alien: created('alien') };
    for (const uid of Object.values(before).flat()) expect(uid).toBeDefined();

    const plane = await start(controllerName);
    const uids = async (gateway: string) =>
      Promise.all(
        KINDS.map(async (kind) => (await getObject(plane, kind, ns, `switchyard-${gateway}`))?.metadata.uid),
      );

    for (const gateway of ['ghost', 'relic', 'moved']) {
      await eventually(
        `no object left for ${gateway}`,
        async () => ((await uids(gateway)).every((uid) => uid === undefined) ? true : undefined),
        plane,
      );
    }
    // The live Gateway's objects are applied once the sweep is done (it holds every other write): they were
    // kept, not deleted and created again.
    await eventually(
      'the live Deployment as provisioned',
      async () => {
        const deployment = await getObject(plane, 'Deployment', ns, 'switchyard-live');
        const image = (
          deployment?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined
        )?.template.spec.containers[0]?.image;
        return image !== undefined && image !== 'example.com/left-behind:1' ? deployment : undefined;
      },
      plane,
    );
    expect({ live: await uids('live'), stray: await uids('stray'), alien: await uids('alien') }).toEqual(
      before,
    );
  },
  60_000,
);
