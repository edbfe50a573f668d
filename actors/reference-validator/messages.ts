// The reference validator's inbox: controllers and resolvers report what changed in the shared state; the gateway
// deployer reports what the data plane refused of the routes.
import type { DataPlaneRefusal } from '../../model/ir/backend-contract.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Message } from '../../runtime/message.ts';

export const REFERENCE_VALIDATOR = 'reference-validator';

/** An object was stored or removed; `dependsOn` is what its status and IR read (model's dependenciesOf). */
export interface ResourceChange {
  readonly key: ResourceKey;
  readonly dependsOn: readonly ResourceKey[];
  /**
   * The keys its change is looked up under in the reverse index (model's changedKeysOf): the object itself and
   * what it stands for — an EndpointSlice its Service, a BackendTLSPolicy the Services it targets.
   */
  readonly lookupKeys: readonly ResourceKey[];
  readonly deleted: boolean;
}

export interface ResourceChanged extends Message<'resource.changed'>, ResourceChange {}

/**
 * Many changes at once, recorded in order as if each came in a `resource.changed` of its own: what an owner stored
 * of a `resources.upserted` batch (the files source's initial listing), in one step instead of one per object.
 */
export interface ResourcesChanged extends Message<'resources.changed'> {
  readonly changes: readonly ResourceChange[];
}

/** A controller has stored everything of these kinds that existed at start-up. */
export interface KindsSynced extends Message<'kinds.synced'> {
  readonly kinds: readonly string[];
}

/** Raised (on the clock, not through the mailbox) after a burst of changes: recompute what they affected, once. */
export interface ValidatorFlush extends Message<'validator.flush'> {}

/** Raised (on the clock, with no delay) between the steps of a recomputation too large for one. */
export interface ValidatorFlushStep extends Message<'validator.flush-step'> {}

/**
 * Kubernetes mode: objects watched by reference have been read once, found or not (forwarded by their owner
 * after what it stored of them, so the store is current): a recomputation waiting for them can go on.
 */
export interface ReferencesFetched extends Message<'references.fetched'> {
  readonly keys: readonly ResourceKey[];
}

/** Raised when newly referenced objects took too long to fetch: recompute without waiting any longer. */
export interface ReferencesOverdue extends Message<'validator.references-overdue'> {}

/**
 * A user-visible problem with an object that has no status to carry it (e.g. it failed schema validation). No
 * problems: an earlier rejection of the object is withdrawn (it was read again valid, or deleted).
 */
export interface ObjectRejected extends Message<'object.rejected'> {
  readonly key: ResourceKey;
  readonly origin: string;
  readonly problems: readonly string[];
}

/**
 * What the data plane of a Gateway now refuses of its routes (dropped, or served with a warning), from the gateway
 * deployer whenever that changes; every entry names a route. The routes concerned get it on their parent entry.
 */
export interface RoutesRefusedByDataPlane extends Message<'data-plane.routes-refused'> {
  readonly gateway: ResourceKey;
  readonly refusals: readonly DataPlaneRefusal[];
}

export type ReferenceValidatorMessage =
  | ResourceChanged
  | ResourcesChanged
  | KindsSynced
  | ValidatorFlush
  | ValidatorFlushStep
  | ObjectRejected
  | ReferencesFetched
  | ReferencesOverdue
  | RoutesRefusedByDataPlane;
