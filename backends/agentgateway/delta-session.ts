// One agentgateway proxy's delta ADS stream: the subscriptions and responses are the shared delta core
// (backends/shared/delta-session.ts). agentgateway subscribes to its resources as a whole, and resolves the
// references between resources (Route → Listener → Bind, Route → Backend) itself, so a push is one response per
// type with its changes and removals, in no particular order. Its NACKs are per resource (refusals.ts): the rest
// of the push is applied, so such a NACK counts as taken, with the refused resources reported.
import { AGENTGATEWAY_TYPE_URL, agentgatewayApi } from '../../protos/agentgateway-api.ts';
import { DeltaSessionCore } from '../shared/delta-session.ts';
import type { PerResourceRefusal } from '../shared/proxy-session.ts';
import type { XdsResource } from '../shared/snapshot.ts';
import { readPerResourceNack } from './refusals.ts';
import type { AgentgatewaySnapshot } from './snapshot.ts';

export class AgentgatewayDeltaSession extends DeltaSessionCore<AgentgatewaySnapshot> {
  /** An empty first subscribe list is a wildcard, whatever the type. */
  protected wildcardByDefault(): boolean {
    return true;
  }

  /** A proxy has taken a revision once it subscribed to agentgateway resources and ACKed them. */
  protected subscribedToListeners(): boolean {
    return this.subscription(AGENTGATEWAY_TYPE_URL.resource) !== undefined;
  }

  protected resourceJson(resource: XdsResource): unknown {
    return agentgatewayApi().decodeResource(resource.any.value);
  }

  protected override perResourceRefusals(
    _typeUrl: string,
    detail: string,
  ): readonly PerResourceRefusal[] | undefined {
    return readPerResourceNack(detail);
  }

  push(snapshot: AgentgatewaySnapshot): void {
    this.snapshot = snapshot;
    for (const typeUrl of this.subscribedTypes()) this.respondIfSubscribed(typeUrl, 'all');
    this.settle();
  }
}
