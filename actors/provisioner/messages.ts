// The provisioner's inbox (cluster mode): the data-plane objects one Gateway needs, or that it needs none any
// more. The gateway deployer computes them (model/provisioning/provisioning.ts); the provisioner applies and deletes them.
import type { ProvisionedObject } from '../../model/provisioning/provisioning.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Message } from '../../runtime/message.ts';

export const PROVISIONER = 'provisioner';

/** Keep exactly these objects for the Gateway (server-side apply; fields and list entries we dropped go). */
export interface DataPlaneDesired extends Message<'data-plane.desired'> {
  readonly gateway: ResourceKey;
  readonly objects: readonly ProvisionedObject[];
}

/** The Gateway is gone, no longer ours or not accepted: delete everything provisioned for it. */
export interface DataPlaneUnwanted extends Message<'data-plane.unwanted'> {
  readonly gateway: ResourceKey;
}

export type ProvisionerMessage = DataPlaneDesired | DataPlaneUnwanted;

/** What the `apply-data-plane` port is asked to do. */
export interface ApplyDataPlane {
  readonly gateway: ResourceKey;
  readonly objects: readonly ProvisionedObject[];
}

/** What the `delete-data-plane` port is asked to do: delete the objects named `name` in `namespace`. */
export interface DeleteDataPlane {
  readonly gateway: ResourceKey;
  readonly namespace: string;
  readonly name: string;
}
