import { formatResourceKey } from '../../model/resource-key.ts';
import type { ActorSpec } from '../../runtime/Actor.ts';
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
};

export function provisionerSpec(
  ports: ProvisionerPorts,
  input: ProvisionerInput = {},
): ActorSpec<ProvisionerMessage | EffectReply> {
  return {
    name: PROVISIONER,
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
