// Runs the control plane in Kubernetes mode against the test run's kube-apiserver, and waits on what a user
// would look at: the objects' statuses in the API server.
import type { KubernetesObject } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type ControlPlane, createControlPlane } from '../../cli/control-plane.ts';
import type { ProvisioningSettings } from '../../model/provisioning.ts';
import { GROUP_OF_KIND, type KindName } from '../../model/resources.ts';
import type { ActorSpec } from '../../runtime/Actor.ts';
import { createLogger } from '../../runtime/logger.ts';
import type { Message } from '../../runtime/message.ts';
import { type ApiResource, KubeClient, type KubeObject } from '../../sources/kubernetes/client.ts';
import {
  discoverResources,
  type KubernetesSourcePorts,
  type WatchSettings,
} from '../../sources/kubernetes/ports.ts';
import '../harness/kube/provided-context.ts';

export interface RunningControlPlane {
  readonly plane: ControlPlane;
  readonly client: KubeClient;
  readonly resources: ReadonlyMap<KindName, ApiResource | undefined>;
  stop(): Promise<void>;
}

export async function startKubernetesControlPlane(
  controllerName: string,
  options: {
    kubeconfig?: string;
    /** The client's deadline for requests other than watches. */
    requestTimeoutMs?: number;
    watch?: WatchSettings;
    wrapPorts?: (plane: ControlPlane) => void;
    /** Wraps the Kubernetes sources' ports (list, watch) before the sources start. */
    wrapSourcePorts?: (ports: KubernetesSourcePorts) => KubernetesSourcePorts;
    /** Data-plane provisioning per backend (cluster mode). */
    provisioning?: Readonly<Record<string, ProvisioningSettings>>;
    /** Leader election gate of every write. */
    whenLeader?: () => Promise<boolean>;
    /** Data-plane backends by name. */
    backends?: Readonly<Record<string, ActorSpec<Message>>>;
  } = {},
): Promise<RunningControlPlane> {
  const client = new KubeClient({
    kubeconfig: options.kubeconfig ?? inject('kubeconfig'),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
  });
  const resources = await discoverResources(client, Object.keys(GROUP_OF_KIND) as KindName[]);
  const plane = createControlPlane({
    controllerName,
    kubernetes: {
      client,
      resources,
      ...(options.watch === undefined ? {} : { watch: options.watch }),
      ...(options.wrapSourcePorts === undefined ? {} : { wrapPorts: options.wrapSourcePorts }),
      ...(options.provisioning === undefined ? {} : { provisioning: options.provisioning }),
      ...(options.whenLeader === undefined ? {} : { whenLeader: options.whenLeader }),
    },
    ...(options.backends === undefined ? {} : { backends: options.backends }),
    flushDelayMs: 10,
    logger: createLogger({ level: process.env.SWITCHYARD_TEST_LOG ?? 'silent' }),
  });
  options.wrapPorts?.(plane);
  plane.system.start();
  return {
    plane,
    client,
    resources,
    stop: async () => {
      plane.close();
      await plane.system.stop(5_000);
    },
  };
}

/** Reads an object through our client until `accept` holds (bounded: 15 s). */
export async function waitForObject(
  running: RunningControlPlane,
  kind: KindName,
  namespace: string | undefined,
  name: string,
  accept: (object: KubeObject) => boolean,
  what = 'the expected status',
): Promise<KubeObject> {
  const resource = running.resources.get(kind);
  if (resource === undefined) throw new Error(`${kind} is not served`);
  let last: KubeObject | undefined;
  for (let attempt = 0; attempt < 150; attempt++) {
    last = await running.client.get(resource, namespace, name);
    if (last !== undefined && accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const actors = running.plane.system
    .stats()
    .filter((actor) => !actor.ready || actor.lastError !== undefined)
    .map(
      (actor) =>
        `${actor.name}: ${actor.state}${actor.ready ? '' : ' (not ready)'}${actor.lastError ? ` — ${actor.lastError}` : ''}`,
    );
  throw new Error(
    `${kind} ${namespace ?? ''}/${name} never showed ${what}; last seen:\n${JSON.stringify(last?.status, null, 2)}\nactors:\n${actors.join('\n')}`,
  );
}

export function yamlObjects(text: string): KubernetesObject[] {
  return parseAllDocuments(text).map((document) => document.toJS() as KubernetesObject);
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly observedGeneration?: number;
}

export function condition(conditions: unknown, type: string): Condition | undefined {
  return (Array.isArray(conditions) ? (conditions as Condition[]) : []).find((c) => c.type === type);
}

/** The status.parents entry a controller wrote for a route. */
export function parentStatus(
  route: KubeObject,
  controllerName: string,
): { conditions: Condition[] } | undefined {
  const parents = (
    route.status as { parents?: { controllerName: string; conditions: Condition[] }[] } | undefined
  )?.parents;
  return parents?.find((p) => p.controllerName === controllerName);
}
