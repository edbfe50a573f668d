// The start-up sweep of cluster-mode provisioning (docs/operations.md, "Orphaned data-plane objects"): which
// provisioned objects found on the cluster no Gateway needs any more. Pure: the provisioner lists the objects
// through its port and asks these functions, against the synced ResourceView, what to delete.

import { computeGatewayStatus } from '../gateway-api/gateway-status.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { PROVISIONED_KINDS, type ProvisionedObject, provisionedName } from './provisioning.ts';

/** A provisioned object as listed from the cluster: our label, and an owner reference to a Gateway. */
export interface ProvisionedObjectRef {
  readonly kind: ProvisionedObject['kind'];
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** Name of the Gateway the owner reference names (in the object's namespace). */
  readonly gateway: string;
  /** The `switchyard.dev/controller-name` annotation: who provisioned it (absent on objects of older versions). */
  readonly controllerName?: string;
}

/**
 * What the Gateway `namespace/name` needs, as the deployer decides it: `wanted` when it exists, its GatewayClass
 * is ours and it is accepted (the deployer then provisions it); `unwanted` when it exists otherwise; `absent`.
 */
export type GatewayDataPlaneVerdict = 'wanted' | 'unwanted' | 'absent';

export function gatewayDataPlaneVerdict(
  view: ResourceView,
  controllerName: string,
  namespace: string,
  name: string,
): GatewayDataPlaneVerdict {
  const gateway = view.get('Gateway', namespace, name);
  if (gateway === undefined) return 'absent';
  const status = computeGatewayStatus(gateway, view, {
    controllerName,
    now: new Date(0).toISOString(),
    attachedRoutes: new Map(),
  });
  return status?.conditions?.some((c) => c.type === 'Accepted' && c.status === 'True') === true
    ? 'wanted'
    : 'unwanted';
}

/**
 * Whether a listed object is to be deleted. Only objects named as provisioned for their owner Gateway
 * (`switchyard-<gateway>`). Ours (annotated with our controller name): when the Gateway is absent, not ours or
 * not accepted. Unannotated (provisioned before the annotation existed): only when the Gateway is absent.
 * Another controller's: never — that controller decides.
 */
export function isOrphaned(
  object: ProvisionedObjectRef,
  controllerName: string,
  verdict: GatewayDataPlaneVerdict,
): boolean {
  if (object.name !== provisionedName(object.gateway)) return false;
  if (object.controllerName === controllerName) return verdict !== 'wanted';
  if (object.controllerName === undefined) return verdict === 'absent';
  return false;
}

/**
 * The listed objects to delete (`isOrphaned`), in the provisioner's order per Gateway: Service, Deployment,
 * ConfigMap, ServiceAccount.
 */
export function orphanedDataPlaneObjects(
  objects: readonly ProvisionedObjectRef[],
  controllerName: string,
  verdict: (namespace: string, gateway: string) => GatewayDataPlaneVerdict,
): ProvisionedObjectRef[] {
  const rank = (kind: ProvisionedObject['kind']) =>
    PROVISIONED_KINDS.length - PROVISIONED_KINDS.indexOf(kind);
  return objects
    .filter((object) => isOrphaned(object, controllerName, verdict(object.namespace, object.gateway)))
    .sort(
      (a, b) =>
        a.namespace.localeCompare(b.namespace) ||
        a.gateway.localeCompare(b.gateway) ||
        rank(a.kind) - rank(b.kind),
    );
}
