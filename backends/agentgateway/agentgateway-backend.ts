// The agentgateway backend actor: takes the deployer's BackendGatewayEvents, translates each Gateway's IR into
// agentgateway resources (pure, inside the machine), asks the delta ADS server port to publish them, and turns the
// proxies' ACKs and NACKs into BackendGatewayStatus for the deployer — the shared backend machine
// (backends/shared/backend-machine.ts) run with agentgateway's translation, which takes no options, and the
// origins of its resources (a per-resource NACK is reported on the route or listener it concerns).
import {
  type BackendMessageOf,
  type BackendOptions,
  defineBackend,
  type XdsPortOf,
} from '../shared/backend-machine.ts';
import { resourceOrigins } from './origins.ts';
import { type AgentgatewayResources, translateGateway } from './translate-gateway.ts';

export const AGENTGATEWAY_BACKEND = 'agentgateway';

/** What the actor needs of the ADS server (AgentgatewayXdsServer); tests and replay substitute their own. */
export type AgentgatewayXdsPort = XdsPortOf<typeof AGENTGATEWAY_BACKEND, AgentgatewayResources>;
export type AgentgatewayBackendMessage = BackendMessageOf<typeof AGENTGATEWAY_BACKEND>;
/** The deployer to answer and the ADS server port; the actor name defaults to 'backend.agentgateway'. */
export type AgentgatewayBackendOptions = BackendOptions<typeof AGENTGATEWAY_BACKEND, AgentgatewayResources>;

const agentgateway = defineBackend<typeof AGENTGATEWAY_BACKEND, AgentgatewayResources>({
  backend: AGENTGATEWAY_BACKEND,
  dataPlane: 'agentgateway',
  translate: (ir, tls) => translateGateway(ir, tls),
  // agentgateway refuses single resources and applies the rest: its refusals go on the routes and listeners.
  origins: resourceOrigins,
});

export const agentgatewayBackendMachine = agentgateway.machine;
export const agentgatewayBackendSpec = agentgateway.spec;
/** Spawns the backend actor and wires the ADS server's proxy reports into its mailbox. */
export const spawnAgentgatewayBackend = agentgateway.spawn;
