// The Envoy backend actor: takes the deployer's BackendGatewayEvents, translates each Gateway's IR into Envoy
// resources (pure, inside the machine), asks the ADS server port to publish them, and turns the proxies'
// ACKs and NACKs into BackendGatewayStatus for the deployer. The machine is the shared backend machine
// (backends/shared/backend-machine.ts) run with Envoy's translation.
import {
  type BackendMessageOf,
  type BackendOptions,
  defineBackend,
  type XdsPortOf,
} from '../shared/backend-machine.ts';
import { type EnvoyResources, type TranslateOptions, translateGateway } from './translate-gateway.ts';

export const ENVOY_BACKEND = 'envoy';

/** What the actor needs of the ADS server (XdsServer); tests and replay substitute their own. */
export type XdsPort = XdsPortOf<typeof ENVOY_BACKEND, EnvoyResources>;
export type EnvoyBackendMessage = BackendMessageOf<typeof ENVOY_BACKEND>;
/** The deployer to answer, the ADS server port, translation options; the actor name defaults to 'backend.envoy'. */
export type EnvoyBackendOptions = BackendOptions<typeof ENVOY_BACKEND, EnvoyResources, TranslateOptions>;

const envoy = defineBackend<typeof ENVOY_BACKEND, EnvoyResources, TranslateOptions>({
  backend: ENVOY_BACKEND,
  dataPlane: 'Envoy',
  defaultOptions: {},
  translate: (ir, tls, options) => translateGateway(ir, tls, options),
  // Envoy NACKs a Listener or RouteConfiguration as a whole: the backend finds the rules and listeners it refuses.
  searchesRefusals: true,
});

export const envoyBackendMachine = envoy.machine;
export const envoyBackendSpec = envoy.spec;
/** Spawns the backend actor and wires the ADS server's proxy reports into its mailbox. */
export const spawnEnvoyBackend = envoy.spawn;
