import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import { type GatewayDeployerInput, gatewayDeployerMachine } from './machine.ts';
import { GATEWAY_DEPLOYER, type GatewayDeployerMessage } from './messages.ts';

export { GATEWAY_DEPLOYER } from './messages.ts';

export function gatewayDeployerSpec(input: GatewayDeployerInput): ActorSpec<GatewayDeployerMessage> {
  return {
    name: GATEWAY_DEPLOYER,
    machine: gatewayDeployerMachine,
    input,
    mailbox: {
      capacity: 4096,
      coalesceBy: (message) =>
        message.type === 'backend.gateway.status'
          ? `status:${message.backend}:${message.gateway.namespace}/${message.gateway.name}`
          : `gateway:${message.gateway.namespace}/${message.gateway.name}`,
    },
  };
}
