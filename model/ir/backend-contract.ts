// The contract between the gateway deployer and every data-plane backend (Envoy, agentgateway, the next one):
// the deployer sends BackendGatewayEvents, a backend answers with BackendGatewayResponses. A new backend
// implements this and nothing in the controllers changes.

import type { Message } from '../../runtime/message.ts';
import type { ResourceKey } from '../resources/resource-key.ts';
import type { GatewayIR } from './gateway-ir.ts';

/** PEM material of one certificate reference of the IR, keyed by `formatResourceKey` of the Secret. */
export interface TlsMaterial {
  readonly certificateChain: string;
  readonly privateKey: string;
}

/** A Gateway's desired configuration changed (or appeared). `revision` grows with every change of this Gateway. */
export interface BackendGatewayChanged extends Message<'backend.gateway.changed'> {
  readonly gateway: ResourceKey;
  readonly revision: number;
  readonly ir: GatewayIR;
  /** Certificates and keys the IR's TLS listeners reference. Never logged, never shown by the inspector. */
  readonly tls: Readonly<Record<string, TlsMaterial>>;
}

/** The Gateway is gone, or no longer ours: remove its configuration. */
export interface BackendGatewayDeleted extends Message<'backend.gateway.deleted'> {
  readonly gateway: ResourceKey;
}

export type BackendGatewayEvent = BackendGatewayChanged | BackendGatewayDeleted;

/** A listener of the IR: its owner (Gateway or ListenerSet) and name. */
export interface ListenerRef {
  readonly owner: ResourceKey;
  readonly name: string;
}

/**
 * Part of a Gateway's configuration the data plane did not run as given, in its own words: a route (or one rule of
 * it), or a listener, dropped while the rest is served, or served with a warning. Neither route nor listener: a
 * resource no single object owns (a backend), named in the message.
 */
export interface DataPlaneRefusal {
  readonly route?: ResourceKey;
  /** Index of the rule in the route's spec.rules, when only that rule is concerned. */
  readonly rule?: number;
  readonly listener?: ListenerRef;
  /** 'dropped': not served; 'warning': served, with what the data plane warned about. */
  readonly severity: 'dropped' | 'warning';
  /** The data plane's own text, with the proxies that said it. */
  readonly message: string;
}

/** Where one proxy of a Gateway stands on the latest revision. */
export interface ProxyState {
  readonly proxy: string;
  /** Revision the proxy last accepted, if any. */
  readonly ackedRevision?: number;
  /** Set when the proxy rejected the latest revision: the data plane's own error text. */
  readonly rejection?: string;
}

/**
 * What the backend knows of a Gateway's revision: translated (or not), and how its proxies took it. Sent on
 * every change of that knowledge; the deployer turns it into the Gateway's Programmed condition.
 */
export interface BackendGatewayStatus extends Message<'backend.gateway.status'> {
  readonly backend: string;
  readonly gateway: ResourceKey;
  readonly revision: number;
  /** False when the IR could not be translated; `message` says why. */
  readonly translated: boolean;
  readonly message?: string;
  readonly proxies: readonly ProxyState[];
  /**
   * What the proxies that took this revision dropped or warned about (the rest of it is served); absent when
   * they run all of it. A backend that finds what a data plane refuses (Envoy's bisection) lists the dropped parts.
   */
  readonly refusals?: readonly DataPlaneRefusal[];
  /** Set while the backend is finding which part of the revision the data plane refuses (Envoy). */
  readonly searching?: string;
}

export type BackendGatewayResponse = BackendGatewayStatus;
