// What sources tell controllers: an object appeared or changed, an object went away, a kind is fully listed.

import type { Message } from '../../runtime/message.ts';
import type { ResourceKey } from './resource-key.ts';

/** An object as read from Kubernetes or a file: not validated yet, so typed loosely. */
export interface RawObject {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly metadata?: {
    readonly name?: unknown;
    readonly namespace?: unknown;
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

export interface ResourceUpserted extends Message<'resource.upserted'> {
  readonly object: RawObject;
  /** Where it came from, for error messages (`file.yaml:12`, `kubernetes`). */
  readonly origin: string;
  /**
   * Checked against its CustomResourceDefinition's schema and rules as the API server checks them, and passed
   * (files mode with the CRDs): the owner does not check it against its older model schema as well.
   */
  readonly crdChecked?: boolean;
}

/**
 * Many objects at once, handled in order as if each came in a `resource.upserted` of its own: the files source's
 * initial listing sends each owner one per step, so a full sync costs an owner one step per batch, not per object.
 */
export interface ResourcesUpserted extends Message<'resources.upserted'> {
  readonly objects: readonly UpsertedObject[];
}

/** One object as a `resource.upserted` carries it. */
export type UpsertedObject = Pick<ResourceUpserted, 'object' | 'origin' | 'crdChecked'>;

export interface ResourceDeleted extends Message<'resource.deleted'> {
  readonly key: ResourceKey;
}

/** Every object of these kinds that existed when the source started has been sent. */
export interface ResourceSynced extends Message<'resource.synced'> {
  readonly kinds: readonly string[];
}

/**
 * Kubernetes mode: objects watched by reference (model/evaluation/watched-references.ts) have been read once, found or not;
 * sent after their upserts, so their owner passes it on once it holds them.
 */
export interface ResourcesFetched extends Message<'resource.fetched'> {
  readonly keys: readonly ResourceKey[];
}

export type ResourceEvent =
  | ResourceUpserted
  | ResourcesUpserted
  | ResourceDeleted
  | ResourceSynced
  | ResourcesFetched;
