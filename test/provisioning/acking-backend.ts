// A stand-in data-plane backend for the API-server-only suite (no kubelet, so no proxy ever runs): it reports
// every revision it receives as translated and ACKed by one proxy, as the Envoy (or agentgateway) backend does
// once the proxies of a Gateway accept it. Provisioning and addresses are what these tests are about, not xDS.
import { enqueueActions, setup } from 'xstate';
import { GATEWAY_DEPLOYER } from '../../actors/gateway-deployer/messages.ts';
import type { BackendGatewayEvent, BackendGatewayStatus } from '../../model/ir/backend-contract.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import type { Message } from '../../runtime/message.ts';
import { deliverTo, type Outgoing } from '../../runtime/outbox.ts';

const ackingMachine = (backend: string) =>
  setup({
    types: { events: {} as BackendGatewayEvent, emitted: {} as Outgoing },
  }).createMachine({
    id: 'acking-backend',
    initial: 'serving',
    states: {
      serving: {
        tags: ['ready'],
        on: {
          'backend.gateway.changed': {
            actions: enqueueActions(({ event, enqueue }) => {
              if (event.type !== 'backend.gateway.changed') return;
              const status: Omit<BackendGatewayStatus, 'meta'> = {
                type: 'backend.gateway.status',
                backend,
                gateway: event.gateway,
                revision: event.revision,
                translated: true,
                proxies: [{ proxy: 'test-proxy', ackedRevision: event.revision }],
              };
              enqueue.emit(deliverTo(GATEWAY_DEPLOYER, status));
            }),
          },
        },
      },
    },
  });

/** `backend` is the name its statuses carry (the key the backend is registered under). */
export function ackingBackendSpec(name: string, backend = 'envoy'): ActorSpec<Message> {
  return { name, machine: ackingMachine(backend), mailbox: { capacity: 256 } };
}
