// What the agentgateway ADS server tells the backend actor about one proxy of a Gateway: it reached a revision
// (every response ACKed), rejected one (a NACK with agentgateway's error_detail), or went away. The shapes are
// shared by every backend (backends/shared/proxy-report.ts); agentgateway's carry the `agentgateway.` prefix.
import type { ProxyReportOf } from '../shared/proxy-report.ts';

export type AgentgatewayProxyReport = ProxyReportOf<'agentgateway'>;
export type AgentgatewayProxySynced = Extract<AgentgatewayProxyReport, { type: 'agentgateway.proxy.synced' }>;
export type AgentgatewayProxyRejected = Extract<
  AgentgatewayProxyReport,
  { type: 'agentgateway.proxy.rejected' }
>;
export type AgentgatewayProxyDisconnected = Extract<
  AgentgatewayProxyReport,
  { type: 'agentgateway.proxy.disconnected' }
>;
