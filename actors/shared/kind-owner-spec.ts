import type { KindName } from '../../model/resources/kinds.ts';
import type { ResourceEvent } from '../../model/resources/resource-events.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import { kindOwnerMachine } from './kind-owner.ts';
import { resourceEventKey } from './resource-event-key.ts';

/** An actor that owns `kinds` in the shared state (a controller or a resolver). */
export function kindOwnerSpec(
  name: string,
  kinds: readonly KindName[],
  store: ResourceStore,
  capacity = 4096,
): ActorSpec<ResourceEvent> {
  return {
    name,
    machine: kindOwnerMachine,
    input: { kinds, store },
    mailbox: { capacity, coalesceBy: resourceEventKey },
  };
}
