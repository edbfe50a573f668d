// The provisioner writes the data plane of each Gateway (cluster mode): one write at a time, the latest desired
// state per Gateway (its mailbox coalesces per Gateway), skipping what was already applied, retrying a failed
// write with capped exponential backoff. Like the patchers it only writes; what to write comes from the deployer.
// With `sweep`, it first deletes what earlier processes left behind: it starts once every kind is synced (the
// composition root makes it depend on the reference validator), lists the objects carrying our provisioning
// label and deletes those whose Gateway is absent, not ours or not accepted (model/provisioning/data-plane-sweep.ts, which
// also leaves another controller's objects alone), before it takes any other message.
import { enqueueActions, setup } from 'xstate';
import {
  gatewayDataPlaneVerdict,
  isOrphaned,
  orphanedDataPlaneObjects,
  type ProvisionedObjectRef,
} from '../../model/provisioning/data-plane-sweep.ts';
import { provisionedName } from '../../model/provisioning/provisioning.ts';
import { formatResourceKey } from '../../model/resources/resource-key.ts';
import type { ResourceView } from '../../model/shared/resource-view.ts';
import { type EffectReply, effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import type { ApplyDataPlane, DeleteDataPlane, ProvisionerMessage } from './messages.ts';

export interface ProvisionerInput {
  readonly retry?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  /**
   * Sweep orphaned data-plane objects at start: the synced view and our controller name decide which Gateways
   * keep theirs. Needs the `list-provisioned-objects` and `delete-provisioned-object` ports.
   */
  readonly sweep?: { readonly view: ResourceView; readonly controllerName: string };
}

/**
 * Attempts of the sweep's listing, and of each deletion, before the sweep gives that step up (the error stays the
 * actor's last error): a sweep that cannot finish must not hold up provisioning for good.
 */
export const SWEEP_ATTEMPTS = 5;

interface PendingWrite {
  readonly effect: 'apply-data-plane' | 'delete-data-plane';
  readonly request: ApplyDataPlane | DeleteDataPlane;
  readonly id: string;
  /** JSON of the applied objects; undefined for a deletion. */
  readonly json: string | undefined;
}

interface ProvisionerContext {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Gateway id → JSON of the objects last applied for it. */
  readonly applied: Map<string, string>;
  inFlight: PendingWrite | undefined;
  attempts: number;
  writes: number;
  failures: number;
  lastError: string | undefined;
  readonly sweep: ProvisionerInput['sweep'];
  /** Orphans found by the start-up sweep, not yet deleted (the first is in flight). */
  orphans: ProvisionedObjectRef[];
}

export const provisionerMachine = setup({
  types: {
    input: {} as ProvisionerInput,
    context: {} as ProvisionerContext,
    events: {} as ProvisionerMessage | EffectReply,
    emitted: {} as Outgoing,
  },
  delays: {
    backoff: ({ context }) =>
      Math.min(context.maxDelayMs, context.initialDelayMs * 2 ** Math.max(0, context.attempts - 1)),
  },
  guards: {
    sweepWanted: ({ context }) => context.sweep !== undefined,
    sweepDone: ({ context }) => context.orphans.length === 0,
    sweepAttemptsLeft: ({ context }) => context.attempts < SWEEP_ATTEMPTS,
    changesSomething: ({ context, event }) =>
      event.type === 'data-plane.desired' &&
      context.applied.get(formatResourceKey(event.gateway)) !== JSON.stringify(event.objects),
  },
  actions: {
    startApply: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'data-plane.desired') return;
      const json = JSON.stringify(event.objects);
      context.inFlight = {
        effect: 'apply-data-plane',
        request: { gateway: event.gateway, objects: event.objects },
        id: formatResourceKey(event.gateway),
        json,
      };
      context.attempts = 1;
      enqueue.emit(effectRequest(context.inFlight.effect, context.inFlight.request));
    }),
    // Deletion is always attempted: after a restart nothing says what an earlier process provisioned.
    startDelete: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'data-plane.unwanted') return;
      context.inFlight = {
        effect: 'delete-data-plane',
        request: {
          gateway: event.gateway,
          namespace: event.gateway.namespace ?? '',
          name: provisionedName(event.gateway.name),
        },
        id: formatResourceKey(event.gateway),
        json: undefined,
      };
      context.attempts = 1;
      enqueue.emit(effectRequest(context.inFlight.effect, context.inFlight.request));
    }),
    requestListing: enqueueActions(({ context, enqueue }) => {
      context.attempts++;
      enqueue.emit(effectRequest('list-provisioned-objects', {}));
    }),
    recordOrphans: ({ context, event }) => {
      const sweep = context.sweep;
      context.attempts = 0;
      // A skipped listing (the election stopped without this replica leading) is no list: nothing to sweep.
      if (sweep === undefined || event.type !== 'effect.done' || !Array.isArray(event.result)) return;
      context.orphans = orphanedDataPlaneObjects(
        event.result as ProvisionedObjectRef[],
        sweep.controllerName,
        (namespace, name) => gatewayDataPlaneVerdict(sweep.view, sweep.controllerName, namespace, name),
      );
    },
    // Asked again before each deletion: a Gateway created meanwhile keeps its objects.
    requestOrphanDeletion: enqueueActions(({ context, enqueue }) => {
      const sweep = context.sweep;
      let orphan = context.orphans[0];
      while (
        sweep !== undefined &&
        orphan !== undefined &&
        !isOrphaned(
          orphan,
          sweep.controllerName,
          gatewayDataPlaneVerdict(sweep.view, sweep.controllerName, orphan.namespace, orphan.gateway),
        )
      ) {
        context.orphans.shift();
        orphan = context.orphans[0];
      }
      if (orphan === undefined) return;
      context.attempts++;
      enqueue.emit(effectRequest('delete-provisioned-object', orphan));
    }),
    // Deleted, or given up on.
    dropOrphan: ({ context }) => {
      context.orphans.shift();
      context.attempts = 0;
    },
    retryWrite: enqueueActions(({ context, enqueue }) => {
      context.attempts++;
      if (context.inFlight !== undefined)
        enqueue.emit(effectRequest(context.inFlight.effect, context.inFlight.request));
    }),
    recordWritten: ({ context }) => {
      const write = context.inFlight;
      if (write === undefined) return;
      if (write.json === undefined) context.applied.delete(write.id);
      else context.applied.set(write.id, write.json);
      context.inFlight = undefined;
      context.attempts = 0;
      context.writes++;
      context.lastError = undefined;
    },
    recordFailure: ({ context, event }) => {
      context.failures++;
      if (event.type === 'effect.failed') context.lastError = event.error;
    },
  },
}).createMachine({
  id: 'provisioner',
  context: ({ input }) => ({
    initialDelayMs: input.retry?.initialDelayMs ?? 200,
    maxDelayMs: input.retry?.maxDelayMs ?? 30_000,
    applied: new Map(),
    inFlight: undefined,
    attempts: 0,
    writes: 0,
    failures: 0,
    lastError: undefined,
    sweep: input.sweep,
    orphans: [],
  }),
  initial: 'starting',
  states: {
    starting: {
      always: [{ guard: 'sweepWanted', target: 'sweeping' }, { target: 'idle' }],
    },
    // Intake waits (busy) until the sweep is done, so nothing applied since is listed as an orphan.
    sweeping: {
      tags: ['ready', 'busy'],
      initial: 'listing',
      states: {
        listing: {
          entry: 'requestListing',
          on: {
            'effect.done': { target: 'deleting', actions: 'recordOrphans' },
            'effect.failed': [
              { guard: 'sweepAttemptsLeft', target: 'waitingToList', actions: 'recordFailure' },
              { target: '#provisioner.idle', actions: 'recordFailure' },
            ],
          },
        },
        waitingToList: { after: { backoff: 'listing' } },
        deleting: {
          entry: 'requestOrphanDeletion',
          always: { guard: 'sweepDone', target: '#provisioner.idle' },
          on: {
            'effect.done': { target: 'deleting', reenter: true, actions: 'dropOrphan' },
            'effect.failed': [
              { guard: 'sweepAttemptsLeft', target: 'waitingToDelete', actions: 'recordFailure' },
              { target: 'deleting', reenter: true, actions: ['recordFailure', 'dropOrphan'] },
            ],
          },
        },
        waitingToDelete: { after: { backoff: 'deleting' } },
      },
    },
    idle: {
      tags: ['ready'],
      on: {
        'data-plane.desired': { guard: 'changesSomething', target: 'writing', actions: 'startApply' },
        'data-plane.unwanted': { target: 'writing', actions: 'startDelete' },
      },
    },
    writing: {
      tags: ['ready', 'busy'],
      on: {
        'effect.done': { target: 'idle', actions: 'recordWritten' },
        'effect.failed': { target: 'waitingToRetry', actions: 'recordFailure' },
      },
    },
    waitingToRetry: {
      tags: ['ready', 'busy'],
      after: { backoff: { target: 'writing', actions: 'retryWrite' } },
    },
  },
});
