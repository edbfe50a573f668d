// A patcher's inbox: the latest desired status of one object (coalesced per object).
import type { ResourceKey } from '../../model/resource-key.ts';
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

export type PatcherMessage = StatusDesired;
