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
import { fingerprint } from '../../runtime/fingerprint.ts';
import { deliverTo, type Outgoing } from '../../runtime/outbox.ts';
import { REFERENCE_VALIDATOR, type ResourceChange } from '../reference-validator/messages.ts';
import { validateObject } from './object-validation.ts';

export interface KindOwnerInput {
  readonly kinds: readonly KindName[];
  readonly store: ResourceStore;
}

interface KindOwnerContext extends KindOwnerInput {
  /**
   * Per object what a change is measured against: a change in anything but status and bookkeeping metadata
   * re-announces it. The object itself until it is seen again (it is in the store anyway, so a full sync hashes
   * nothing), then its spec fingerprint.
   */
  readonly fingerprints: Map<string, string | AnyResource>;
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
  context: ({ input }) => ({ ...input, fingerprints: new Map(), rejected: new Set() }),
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
            const id = formatResourceKey(event.key);
            context.fingerprints.delete(id);
            if (context.rejected.delete(id)) enqueue.emit(withdrawRejection(event.key, 'deleted'));
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
  const object = withWrittenStatus(context.store, raw as unknown as AnyResource);
  const previous = context.fingerprints.get(id);
  context.store.upsert(object);
  if (previous === undefined) {
    context.fingerprints.set(id, object);
  } else {
    const fingerprint = specFingerprint(object);
    const before = typeof previous === 'string' ? previous : specFingerprint(previous);
    context.fingerprints.set(id, fingerprint);
    if (before === fingerprint) return undefined;
  }
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
function withWrittenStatus(store: ResourceStore, object: AnyResource): AnyResource {
  if ((object as { status?: unknown }).status !== undefined) return object;
  const stored = store.get(object.kind as KindName, object.metadata.namespace, object.metadata.name) as
    | { status?: unknown }
    | undefined;
  return stored?.status === undefined ? object : ({ ...object, status: stored.status } as AnyResource);
}

/**
 * Kinds whose status is an input rather than our output: a provisioned Service's load-balancer ingress gives its
 * Gateway's addresses (model/provisioning/provisioning.ts), so a status-only change of a Service is announced too.
 */
const STATUS_IS_INPUT: ReadonlySet<string> = new Set(['Service']);

/** Everything that can change an evaluation: the object without status and the metadata the API server bumps. */
function specFingerprint(object: AnyResource): string {
  const { status, metadata, ...rest } = object as AnyResource & { status?: unknown };
  const {
    resourceVersion: _rv,
    managedFields: _mf,
    generation: _g,
    ...meta
  } = (metadata ?? {}) as unknown as Record<string, unknown>;
  // A Pod's IPs and readiness (in its status) make the endpoints of its InferencePools; other status churn not.
  if (object.kind === 'Pod') return fingerprint([rest, meta, podEndpointState(object)]);
  return fingerprint(STATUS_IS_INPUT.has(object.kind) ? [rest, meta, status] : [rest, meta]);
}
