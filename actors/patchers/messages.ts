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

/** Our finalizer should (or should no longer) be on the object. Kubernetes mode only. */
export interface FinalizerDesired extends Message<'finalizer.desired'> {
  readonly key: ResourceKey;
  readonly finalizer: string;
  readonly present: boolean;
}

export type PatcherMessage = StatusDesired | FinalizerDesired;
