// The agentgateway backend as tests drive it: its delta ADS server on a free loopback port, the backend actor in an
// actor system whose statuses a recorder keeps, and a client that speaks to the server as an agentgateway proxy.
import type { BackendGatewayStatus } from '../../../model/ir/backend-contract.ts';
import type { GatewayIR } from '../../../model/ir/gateway-ir.ts';
import { ActorSystem } from '../../../runtime/ActorSystem.ts';
import { VirtualClock } from '../../../runtime/VirtualClock.ts';
import { AdsTestClient } from '../../envoy/testdata/ads-test-client.ts';
import { spawnStatusRecorder } from '../../shared/testdata/status-recorder.ts';
import { type AgentgatewayBackendMessage, spawnAgentgatewayBackend } from '../agentgateway-backend.ts';
import { AgentgatewayXdsServer } from '../xds-server.ts';

export interface AgentgatewayHarness {
  readonly server: AgentgatewayXdsServer;
  readonly client: AdsTestClient;
  readonly system: ActorSystem;
  /** Every BackendGatewayStatus the backend sent its deployer, oldest first. */
  readonly statuses: BackendGatewayStatus[];
  /** Sends the backend a Gateway's IR at a revision. */
  change(ir: GatewayIR, revision: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startAgentgatewayHarness(statusCapacity = 256): Promise<AgentgatewayHarness> {
  const server = await AgentgatewayXdsServer.start({ address: '127.0.0.1:0' });
  const client = new AdsTestClient(server.address);
  const system = new ActorSystem({ clock: new VirtualClock() });
  const statuses = spawnStatusRecorder(system, 'deployer', statusCapacity);
  spawnAgentgatewayBackend(system, { name: 'agentgateway', deployer: 'deployer', xds: server });
  system.start();
  return {
    server,
    client,
    system,
    statuses,
    change: (ir, revision) =>
      system.send<AgentgatewayBackendMessage>('agentgateway', {
        type: 'backend.gateway.changed',
        gateway: ir.gateway,
        revision,
        ir,
        tls: {},
      }),
    async stop() {
      client.close();
      await system.stop();
      await server.stop();
    },
  };
}

/** Node.metadata as agentgateway sends it (a google.protobuf.Struct), with its pod name (NAME) as in a pod. */
export function proxyNode(id: string, gateway = 'gw', namespace = 'default') {
  return {
    id,
    cluster: '',
    user_agent_name: 'agentgateway',
    metadata: {
      fields: {
        NAME: { stringValue: id },
        GATEWAY_NAME: { stringValue: gateway },
        NAMESPACE: { stringValue: namespace },
      },
    },
  };
}
