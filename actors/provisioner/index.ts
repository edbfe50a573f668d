import type { ProvisionedObjectRef } from '../../model/provisioning/data-plane-sweep.ts';
import { formatResourceKey } from '../../model/resources/resource-key.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import type { EffectReply } from '../../runtime/outbox.ts';
import { type ProvisionerInput, provisionerMachine } from './machine.ts';
import {
  type ApplyDataPlane,
  type DeleteDataPlane,
  PROVISIONER,
  type ProvisionerMessage,
} from './messages.ts';

export type { ApplyDataPlane, DeleteDataPlane } from './messages.ts';
export { PROVISIONER } from './messages.ts';

/** The ports the provisioner writes through (sources/kubernetes/provisioning-writer.ts in a cluster). */
export type ProvisionerPorts = {
  readonly 'apply-data-plane': (request: ApplyDataPlane) => Promise<unknown>;
  readonly 'delete-data-plane': (request: DeleteDataPlane) => Promise<unknown>;
  /** The start-up sweep (input `sweep`): every object carrying our provisioning label and owned by a Gateway. */
  readonly 'list-provisioned-objects'?: (request: Record<string, never>) => Promise<unknown>;
  /** The start-up sweep: delete one listed object (if still the same uid). */
  readonly 'delete-provisioned-object'?: (request: ProvisionedObjectRef) => Promise<unknown>;
};

/**
 * `startAfter`: actors that must be ready first — with a sweep, the one that is ready once every kind is
 * synced (the reference validator), so the sweep judges Gateways on the whole cluster.
 */
export function provisionerSpec(
  ports: ProvisionerPorts,
  input: ProvisionerInput = {},
  startAfter: readonly string[] = [],
): ActorSpec<ProvisionerMessage | EffectReply> {
  if (
    input.sweep !== undefined &&
    (ports['list-provisioned-objects'] === undefined || ports['delete-provisioned-object'] === undefined)
  ) {
    throw new Error(
      'the provisioner sweep needs the list-provisioned-objects and delete-provisioned-object ports',
    );
  }
  return {
    name: PROVISIONER,
    ...(startAfter.length === 0 ? {} : { dependsOn: startAfter }),
    machine: provisionerMachine,
    input,
    mailbox: {
      capacity: 16_384,
      // The latest desired state per Gateway wins; a deletion replaces a pending apply and vice versa.
      coalesceBy: (message) =>
        message.type === 'data-plane.desired' || message.type === 'data-plane.unwanted'
          ? formatResourceKey(message.gateway)
          : message.meta.id,
    },
    effects: ports,
  };
}
