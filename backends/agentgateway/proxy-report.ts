// What the agentgateway ADS server tells the backend actor about one proxy of a Gateway: it reached a revision
// (every response ACKed), rejected one (a NACK with agentgateway's error_detail), or went away.
import type { ResourceKey } from '../../model/resource-key.ts';
import type { Message } from '../../runtime/message.ts';

export interface AgentgatewayProxySynced extends Message<'agentgateway.proxy.synced'> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
  readonly revision: number;
}

export interface AgentgatewayProxyRejected extends Message<'agentgateway.proxy.rejected'> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
  readonly revision: number;
  readonly typeUrl: string;
  readonly detail: string;
}

export interface AgentgatewayProxyDisconnected extends Message<'agentgateway.proxy.disconnected'> {
  readonly gateway: ResourceKey;
  readonly proxy: string;
}

export type AgentgatewayProxyReport =
  | AgentgatewayProxySynced
  | AgentgatewayProxyRejected
  | AgentgatewayProxyDisconnected;
