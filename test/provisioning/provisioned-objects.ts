// What the provisioning tests share: control planes that provision one backend's data planes (with the stand-in
// backend that ACKs every revision), the data-plane objects of a Gateway read back from the API server by kind,
// and the GatewayClass (with its GatewayClassParameters) they are provisioned for.
import { type DataPlaneTemplate, PROVISIONED_GATEWAY_LABEL } from '../../model/provisioning/provisioning.ts';
import { KubeApiError, type KubeObject } from '../../sources/kubernetes/client.ts';
import {
  eventually,
  gatewayClassYaml,
  planesStoppedAfterEach,
  type RunningControlPlane,
} from '../controlplane/kubernetes-harness.ts';
import { type KubeFixture, serverSideApply } from '../harness/kube/index.ts';
import { ackingBackendSpec } from './acking-backend.ts';

/**
 * For the top level of a test file: the function that starts a control plane provisioning the data planes of
 * `backend` (its proxies reach `xdsAddress`), each stopped after its test.
 */
export function provisioningPlanes(
  backend: string,
  template: DataPlaneTemplate,
  xdsAddress: string,
): (controllerName: string) => Promise<RunningControlPlane> {
  const start = planesStoppedAfterEach();
  return (controllerName) =>
    start(controllerName, {
      provisioning: { [backend]: { template, xdsAddress } },
      backends: { [backend]: ackingBackendSpec(`backend.${backend}`, backend) },
    });
}

/** The names a provisioning test works with: its namespace, a controller of its own, a class `<prefix>-<ns>`. */
export interface ProvisioningNames {
  readonly ns: string;
  readonly controllerName: string;
  readonly className: string;
}

/**
 * A test's opening: applies the objects it builds from its names (a class with parameters, a Gateway, …), then
 * starts a provisioning control plane as its controller.
 */
export async function startProvisioning(
  kube: KubeFixture,
  start: (controllerName: string) => Promise<RunningControlPlane>,
  classPrefix: string,
  objects: (names: ProvisioningNames) => Parameters<typeof serverSideApply>[1],
): Promise<ProvisioningNames & { readonly plane: RunningControlPlane }> {
  const ns = kube.namespace;
  const names = { ns, controllerName: `switchyard.dev/${ns}`, className: `${classPrefix}-${ns}` };
  await serverSideApply(kube.kubeConfig, objects(names));
  return { ...names, plane: await start(names.controllerName) };
}

export const COLLECTIONS = {
  ServiceAccount: (ns: string) => `/api/v1/namespaces/${ns}/serviceaccounts`,
  ConfigMap: (ns: string) => `/api/v1/namespaces/${ns}/configmaps`,
  Deployment: (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments`,
  Service: (ns: string) => `/api/v1/namespaces/${ns}/services`,
} as const;
export type ProvisionedKind = keyof typeof COLLECTIONS;
export const KINDS = Object.keys(COLLECTIONS) as ProvisionedKind[];

/** A provisioned object as these tests look at it. */
export interface Provisioned extends KubeObject {
  metadata: {
    name: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** Every object of `kind` in the namespace that carries our provisioning label. */
export async function provisioned(plane: RunningControlPlane, kind: ProvisionedKind, ns: string) {
  const list = (await plane.client.json('GET', COLLECTIONS[kind](ns))) as { items: KubeObject[] };
  return list.items.filter((item) => {
    const labels = (item.metadata as { labels?: Record<string, string> }).labels ?? {};
    return labels[PROVISIONED_GATEWAY_LABEL] !== undefined;
  });
}

/** The object of `kind` named `name` in the namespace; undefined when there is none. */
export async function getObject(
  plane: RunningControlPlane,
  kind: ProvisionedKind,
  ns: string,
  name: string,
): Promise<Provisioned | undefined> {
  try {
    return (await plane.client.json('GET', `${COLLECTIONS[kind](ns)}/${name}`)) as Provisioned;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** Waits until no object of any of the four kinds in the namespace carries our provisioning label. */
export async function noneProvisioned(plane: RunningControlPlane, ns: string): Promise<void> {
  for (const kind of KINDS) {
    await eventually(
      `no ${kind} left`,
      async () => ((await provisioned(plane, kind, ns)).length === 0 ? true : undefined),
      plane,
    );
  }
}

/** YAML of GatewayClassParameters `className` with `spec` (a YAML flow mapping) and the GatewayClass using them. */
export function parameterizedClassYaml(className: string, controllerName: string, spec: string): string {
  return `apiVersion: switchyard.dev/v1alpha1
kind: GatewayClassParameters
metadata: {name: ${className}}
spec: ${spec}
---
${gatewayClassYaml(className, controllerName, className)}`;
}
