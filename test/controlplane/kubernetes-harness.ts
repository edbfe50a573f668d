// Runs the control plane in Kubernetes mode against the test run's kube-apiserver, and waits on what a user
// would look at: the objects' statuses in the API server.
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterEach, inject } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { StatusWrite } from '../../actors/patchers/machine.ts';
import type { StatusStore } from '../../actors/patchers/status-store.ts';
import { type ControlPlane, createControlPlane } from '../../cli/control-plane.ts';
import type { ProvisioningSettings } from '../../model/provisioning/provisioning.ts';
import { GROUP_OF_KIND, type KindName } from '../../model/resources/kinds.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import { createLogger } from '../../runtime/logger.ts';
import type { Message } from '../../runtime/message.ts';
import { type ApiResource, KubeClient, type KubeObject } from '../../sources/kubernetes/client.ts';
import type { SecretTarget } from '../../sources/kubernetes/extproc-config-writer.ts';
import {
  discoverResources,
  type KubernetesSourcePorts,
  type WatchSettings,
} from '../../sources/kubernetes/ports.ts';
import { type KubeFixture, serverSideApply } from '../harness/kube/index.ts';
import '../harness/kube/provided-context.ts';

export interface RunningControlPlane {
  readonly plane: ControlPlane;
  readonly client: KubeClient;
  readonly resources: ReadonlyMap<KindName, ApiResource | undefined>;
  stop(): Promise<void>;
}

export interface StartOptions {
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
  /** The Secret the AI Gateway's ext_proc configuration is applied to. */
  extProcConfigSecret?: SecretTarget;
  /** The Secret the MCP proxy configuration is applied to. */
  mcpConfigSecret?: SecretTarget;
  /** Where statuses go instead of the API server (a plane that only computes them). */
  statusWriter?: (statuses: StatusStore) => (write: StatusWrite) => Promise<unknown>;
}

export async function startKubernetesControlPlane(
  controllerName: string,
  options: StartOptions = {},
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
      ...(options.extProcConfigSecret === undefined
        ? {}
        : { extProcConfigSecret: options.extProcConfigSecret }),
      ...(options.mcpConfigSecret === undefined ? {} : { mcpConfigSecret: options.mcpConfigSecret }),
      ...(options.statusWriter === undefined ? {} : { statusWriter: options.statusWriter }),
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

/**
 * For the top level of a test file: registers an `afterEach` that stops the planes its tests started, and
 * returns the function that starts one (with `defaults`, overridden by the call's options).
 */
export function planesStoppedAfterEach(
  defaults: StartOptions = {},
): (controllerName: string, options?: StartOptions) => Promise<RunningControlPlane> {
  const running: RunningControlPlane[] = [];
  afterEach(async () => {
    for (const plane of running.splice(0)) await plane.stop();
  });
  return async (controllerName, options = {}) => {
    const plane = await startKubernetesControlPlane(controllerName, { ...defaults, ...options });
    running.push(plane);
    return plane;
  };
}

/**
 * Polls `probe` every 100 ms until it gives a value (bounded: 15 s); a probe that throws is tried again. The
 * error names `what`, the probe's last error and, given the plane, its provisioner, deployer and failing actors.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  plane?: RunningControlPlane,
): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < 150; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const actors = plane?.plane.system
    .stats()
    .filter((actor) => actor.name === 'provisioner' || actor.name === 'gateway-deployer' || actor.lastError)
    .map((actor) => `${actor.name}: ${actor.state} handled=${actor.handled} ${actor.lastError ?? ''}`);
  throw new Error(
    `never saw ${what}${last === undefined ? '' : `: ${String(last)}`}${actors === undefined ? '' : `\nactors:\n${actors.join('\n')}`}`,
  );
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

/** The condition `type` of an object's own `status.conditions` (a Gateway's, a GatewayClass's, a policy's). */
export function statusCondition(object: KubeObject | undefined, type: string): Condition | undefined {
  return condition((object?.status as { conditions?: unknown } | undefined)?.conditions, type);
}

/** A policy's `status.ancestors` entry. */
export interface PolicyAncestor {
  readonly ancestorRef: { readonly kind?: string; readonly name: string; readonly sectionName?: string };
  readonly controllerName: string;
  readonly conditions: unknown;
}

/** A policy's `status.ancestors`: every entry, or those `controllerName` wrote. */
export function policyAncestors(policy: KubeObject, controllerName?: string): PolicyAncestor[] {
  const all = (policy.status as { ancestors?: PolicyAncestor[] } | undefined)?.ancestors ?? [];
  return controllerName === undefined ? all : all.filter((a) => a.controllerName === controllerName);
}

/** YAML of the Service `app` (port 8080, no endpoints) the routes of `appRouteYaml` send to. */
export function appServiceYaml(ns: string): string {
  return `apiVersion: v1
kind: Service
metadata: {name: app, namespace: ${ns}}
spec: {ports: [{name: http, port: 8080}]}`;
}

/** YAML of an HTTPRoute `name` (host `hostname`) on `gateways`, to the Service `app` port 8080. */
export function appRouteYaml(
  ns: string,
  name: string,
  hostname: string,
  gateways: readonly string[] = ['edge'],
): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: ${ns}}
spec:
  parentRefs: [${gateways.map((g) => `{name: ${g}}`).join(', ')}]
  hostnames: [${hostname}]
  rules: [{backendRefs: [{name: app, port: 8080}]}]`;
}

/** YAML of an Envoy Gateway policy of `kind` targeting one object (`targetKind` `target`), `body` its spec's rest. */
export function targetedPolicyYaml(
  kind: string,
  ns: string,
  name: string,
  target: string,
  body: string,
  targetKind = 'HTTPRoute',
): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ${kind}
metadata: {name: ${name}, namespace: ${ns}}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: ${targetKind}, name: ${target}}]
  ${body}`;
}

/**
 * Applies a test's objects through the API server after a GatewayClass of the test's own: named after its
 * namespace, of a controller named after it too (so tests running side by side never read each other's
 * Gateways). Returns that controller's name, to start the plane with.
 */
export async function applyWithOwnGatewayClass(kube: KubeFixture, objectsYaml: string): Promise<string> {
  const ns = kube.namespace;
  const controllerName = `switchyard.dev/${ns}`;
  await serverSideApply(
    kube.kubeConfig,
    yamlObjects(`${gatewayClassYaml(ns, controllerName)}\n---\n${objectsYaml}`),
  );
  return controllerName;
}

/** YAML of a GatewayClass of `controllerName`, with the GatewayClassParameters named `parameters` if given. */
export function gatewayClassYaml(name: string, controllerName: string, parameters?: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: ${name}}
spec:
  controllerName: ${controllerName}${
    parameters === undefined
      ? ''
      : `
  parametersRef: {group: switchyard.dev, kind: GatewayClassParameters, name: ${parameters}}`
  }`;
}

/** YAML of a Gateway of class `className`; `listeners` is a YAML flow sequence (default: one HTTP listener on 80). */
export function gatewayYaml(
  namespace: string,
  name: string,
  className: string,
  listeners = '[{name: http, protocol: HTTP, port: 80}]',
): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  gatewayClassName: ${className}
  listeners: ${listeners}`;
}

/**
 * YAML of an Anthropic AIServiceBackend `anthropic` (Service `anthropic`, port 443) whose BackendSecurityPolicy
 * `anthropic-key` takes the API key from the Opaque Secret `anthropic-key`.
 */
export function anthropicBackendYaml(namespace: string, apiKey: string): string {
  return `apiVersion: v1
kind: Service
metadata: {name: anthropic, namespace: ${namespace}}
spec: {ports: [{name: https, port: 443}]}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: anthropic, namespace: ${namespace}}
spec:
  schema: {name: Anthropic}
  backendRef: {name: anthropic, kind: Service, port: 443}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: anthropic-key, namespace: ${namespace}}
spec:
  type: AnthropicAPIKey
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: anthropic}]
  anthropicAPIKey: {secretRef: {name: anthropic-key}}
---
${apiKeySecretYaml(namespace, apiKey)}`;
}

/** YAML of the Opaque Secret `anthropic-key` holding `apiKey` under `apiKey`. */
export function apiKeySecretYaml(namespace: string, apiKey: string): string {
  return `apiVersion: v1
kind: Secret
metadata: {name: anthropic-key, namespace: ${namespace}}
type: Opaque
data: {apiKey: ${Buffer.from(apiKey).toString('base64')}}`;
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
