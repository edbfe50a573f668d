// A patcher's inbox: the latest desired status of one object (coalesced per object).
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Message } from '../../runtime/message.ts';
import { type DeliverRequest, deliverTo } from '../../runtime/outbox.ts';

/** The actor that writes statuses of `kind`. */
export function patcherName(kind: string): string {
  return `patcher.${kind}`;
}

export interface StatusDesired extends Message<'status.desired'> {
  readonly key: ResourceKey;
  /** The whole status subresource as it should be. */
  readonly status: unknown;
}

/**
 * Many objects' desired statuses at once (what one step of a recomputation found), written in their order: one
 * message and one step of the patcher instead of one each. Their keys are known to the patcher's inbox, so a
 * later `status.desired` for one of them queues behind the batch instead of replacing an older one ahead of it.
 */
export interface StatusesDesired extends Message<'statuses.desired'> {
  readonly statuses: readonly { readonly key: ResourceKey; readonly status: unknown }[];
}

/**
 * The status that takes back what we wrote on an object that is no longer ours (a Gateway or GatewayClass whose
 * class went to another controller, or went): applying just an empty condition list drops our conditions,
 * listeners and addresses (server-side apply drops the fields our field manager owned; an entirely empty status
 * would leave `status: null`, which the API server refuses). In standalone mode the object is left with no status.
 */
export const WITHDRAWN_STATUS = { conditions: [] } as const;

/** Our finalizer should (or should no longer) be on the object. Kubernetes mode only. */
export interface FinalizerDesired extends Message<'finalizer.desired'> {
  readonly key: ResourceKey;
  readonly finalizer: string;
  readonly present: boolean;
}

export type PatcherMessage = StatusDesired | StatusesDesired | FinalizerDesired;

// What a recomputation's step sends to the patchers, gathered: each patcher's statuses as one `statuses.desired`
// (one message and one patcher step for hundreds of statuses) instead of a `status.desired` each.
type Statuses = StatusesDesired['statuses'][number][];

/**
 * `requests` with the `status.desired` of each patcher that gets two or more put together, in their order, in
 * the place of the first; a patcher's single status stays as it is (an incremental change reads as before), and
 * every other request keeps its place. What each patcher receives, and in what order, does not change.
 */
export function batchStatuses(requests: readonly DeliverRequest[]): readonly DeliverRequest[] {
  const counts = new Map<string, number>();
  for (const request of requests)
    if (request.message.type === 'status.desired') counts.set(request.to, (counts.get(request.to) ?? 0) + 1);
  let batched = false;
  for (const count of counts.values()) if (count > 1) batched = true;
  if (!batched) return requests;
  const gathered = new Map<string, Statuses>();
  const out: DeliverRequest[] = [];
  for (const request of requests) {
    const { to, message } = request;
    if (message.type !== 'status.desired' || counts.get(to) === 1) {
      out.push(request);
      continue;
    }
    const { key, status } = message as StatusDesired;
    let statuses = gathered.get(to);
    if (statuses === undefined) {
      statuses = [];
      gathered.set(to, statuses);
      out.push(deliverTo(to, { type: 'statuses.desired', statuses }));
    }
    statuses.push({ key, status });
  }
  return out;
}
