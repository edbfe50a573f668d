// Public surface of the agentgateway backend: the actor (spawn it with a delta ADS server), the ADS server, the
// translation (for `switchyard translate --show xds`) and the proxy config (for `switchyard agentgateway-config`).
export {
  AGENTGATEWAY_BACKEND,
  type AgentgatewayBackendMessage,
  type AgentgatewayBackendOptions,
  type AgentgatewayXdsPort,
  agentgatewayBackendMachine,
  agentgatewayBackendSpec,
  spawnAgentgatewayBackend,
} from './agentgateway-backend.ts';
export { type AgentgatewayConfigOptions, agentgatewayConfig } from './config.ts';
export {
  AGENTGATEWAY_READINESS_PATH,
  AGENTGATEWAY_READINESS_PORT,
  agentgatewayDataPlaneTemplate,
  DEFAULT_AGENTGATEWAY_IMAGE,
} from './data-plane-template.ts';
export { gatewayOfNode, roleOf } from './node-identity.ts';
export type {
  AgentgatewayProxyDisconnected,
  AgentgatewayProxyRejected,
  AgentgatewayProxyReport,
  AgentgatewayProxySynced,
} from './proxy-report.ts';
export { type AgentgatewayResources, translateGateway } from './translate-gateway.ts';
export {
  AgentgatewayXdsServer,
  type AgentgatewayXdsServerOptions,
  SOTW_NOT_SUPPORTED,
} from './xds-server.ts';
