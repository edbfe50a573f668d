// The machine every controller and resolver runs for the kinds it owns: validate an incoming object, keep it in
// the shared state (the only writer for those kinds), and tell the reference validator what changed and what the
// object depends on. Status-only updates (our own patches coming back) are stored but not re-announced.
import { enqueueActions, setup } from 'xstate';
import { changedKeysOf, dependenciesOf } from '../../model/evaluation/dependencies.ts';
import { podEndpointState } from '../../model/inference/pool-members.ts';
import type { AnyResource, KindName } from '../../model/resources/kinds.ts';
import type { ResourceEvent, UpsertedObject } from '../../model/resources/resource-events.ts';
import { formatResourceKey, keyOf, type ResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import { sameJson } from '../../runtime/fingerprint.ts';
import { deliverTo, type Outgoing } from '../../runtime/outbox.ts';
import { REFERENCE_VALIDATOR, type ResourceChange } from '../reference-validator/messages.ts';
import { validateObject } from './object-validation.ts';

export interface KindOwnerInput {
  readonly kinds: readonly KindName[];
  readonly store: ResourceStore;
}

// A change is measured against the stored object, which holds what the owner last stored (the patchers put
// statuses on a copy of it in standalone mode): no per-object state of its own. It kept the first object it saw
// until the object came again, which a status written into the store had already replaced — so every object
// whose status was written stayed twice, and with it what was memoised on the old copy (issue 22,
// controlplane.churn: each policy's verdict and IR twice once its status was written again).
interface KindOwnerContext extends KindOwnerInput {
  /** Objects whose last version was rejected: their rejection is withdrawn when they are read valid or deleted. */
  readonly rejected: Set<string>;
}

export const kindOwnerMachine = setup({
  types: {
    input: {} as KindOwnerInput,
    context: {} as KindOwnerContext,
    events: {} as ResourceEvent,
    emitted: {} as Outgoing,
  },
}).createMachine({
  id: 'kind-owner',
  context: ({ input }) => ({ ...input, rejected: new Set() }),
  initial: 'owning',
  states: {
    owning: {
      tags: ['ready'],
      on: {
        'resource.upserted': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const change = upsert(context, event, enqueue.emit);
            if (change !== undefined)
              enqueue.emit(deliverTo(REFERENCE_VALIDATOR, { type: 'resource.changed', ...change }));
          }),
        },
        // One step for the batch, and one message to the reference validator for all it changed.
        'resources.upserted': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const changes: ResourceChange[] = [];
            for (const entry of event.objects) {
              const change = upsert(context, entry, enqueue.emit);
              if (change !== undefined) changes.push(change);
            }
            if (changes.length > 0)
              enqueue.emit(deliverTo(REFERENCE_VALIDATOR, { type: 'resources.changed', changes }));
          }),
        },
        'resource.deleted': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const removed = context.store.delete(event.key);
            if (context.rejected.delete(formatResourceKey(event.key)))
              enqueue.emit(withdrawRejection(event.key, 'deleted'));
            if (removed === undefined) return;
            enqueue.emit(
              deliverTo(REFERENCE_VALIDATOR, {
                type: 'resource.changed',
                key: event.key,
                dependsOn: [],
                lookupKeys: changedKeysOf(removed),
                deleted: true,
              }),
            );
          }),
        },
        'resource.fetched': {
          actions: enqueueActions(({ event, enqueue }) => {
            enqueue.emit(deliverTo(REFERENCE_VALIDATOR, { type: 'references.fetched', keys: event.keys }));
          }),
        },
        'resource.synced': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const kinds = event.kinds.filter((kind) => context.kinds.includes(kind as KindName));
            if (kinds.length > 0)
              enqueue.emit(deliverTo(REFERENCE_VALIDATOR, { type: 'kinds.synced', kinds }));
          }),
        },
      },
    },
  },
});

/**
 * Validates and stores one object; returns the change to announce, or undefined when there is none (the object was
 * rejected — said through `emit` — or only its status or bookkeeping changed).
 */
function upsert(
  context: KindOwnerContext,
  { object: raw, origin, crdChecked }: UpsertedObject,
  emit: (outgoing: Outgoing) => void,
): ResourceChange | undefined {
  const key = keyOf(raw);
  const problems = validateObject(raw, { crdChecked: crdChecked === true });
  if (!context.kinds.includes(key.kind as KindName)) {
    problems.push(`kind: ${String(raw.kind)} is not handled by this controller`);
  }
  const id = formatResourceKey(key);
  if (problems.length > 0) {
    context.rejected.add(id);
    emit(deliverTo(REFERENCE_VALIDATOR, { type: 'object.rejected', key, origin, problems }));
    return undefined;
  }
  if (context.rejected.delete(id)) emit(withdrawRejection(key, origin));
  const previous = context.store.get(key.kind as KindName, key.namespace, key.name);
  const object = withWrittenStatus(previous, raw as unknown as AnyResource);
  context.store.upsert(object);
  if (previous !== undefined && sameSpec(previous, object)) return undefined;
  return { key, dependsOn: dependenciesOf(object), lookupKeys: changedKeysOf(object), deleted: false };
}

/** No problems: the object's earlier rejection no longer holds (it was read again valid, or deleted). */
function withdrawRejection(key: ResourceKey, origin: string): Outgoing {
  return deliverTo(REFERENCE_VALIDATOR, { type: 'object.rejected', key, origin, problems: [] });
}

/**
 * Status is a subresource: an object that arrives without one (a manifest re-read from a file) keeps the status
 * already written, as an API server keeps it across spec updates — otherwise every edit would restart the
 * conditions' lastTransitionTime, and a re-read with no spec change would leave the object without a status.
 */
function withWrittenStatus(stored: AnyResource | undefined, object: AnyResource): AnyResource {
  if ((object as { status?: unknown }).status !== undefined) return object;
  const status = (stored as { status?: unknown } | undefined)?.status;
  return status === undefined ? object : ({ ...object, status } as AnyResource);
}

/**
 * Kinds whose status is an input rather than our output: a provisioned Service's load-balancer ingress gives its
 * Gateway's addresses (model/provisioning/provisioning.ts), so a status-only change of a Service is announced too.
 */
const STATUS_IS_INPUT: ReadonlySet<string> = new Set(['Service']);

/** Whether nothing an evaluation reads changed: all but status and the metadata the API server bumps. */
function sameSpec(before: AnyResource, after: AnyResource): boolean {
  if (before === after) return true;
  return sameJson(evaluated(before), evaluated(after));
}

/** What of an object an evaluation reads. */
function evaluated(object: AnyResource): unknown {
  const { status, metadata, ...rest } = object as AnyResource & { status?: unknown };
  const {
    resourceVersion: _rv,
    managedFields: _mf,
    generation: _g,
    ...meta
  } = (metadata ?? {}) as unknown as Record<string, unknown>;
  // A Pod's IPs and readiness (in its status) make the endpoints of its InferencePools; other status churn not.
  if (object.kind === 'Pod') return [rest, meta, podEndpointState(object)];
  return STATUS_IS_INPUT.has(object.kind) ? [rest, meta, status] : [rest, meta];
}
