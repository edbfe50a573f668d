// A patcher's inbox: the latest desired status of one object (coalesced per object).
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Message } from '../../runtime/message.ts';

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

export type PatcherMessage = StatusDesired | FinalizerDesired;
