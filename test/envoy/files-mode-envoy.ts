// The standalone control plane as `switchyard controller` runs it on a directory of YAML, programming one real
// Envoy for one Gateway: what end-to-end tests of Envoy Gateway's kinds start from a manifest file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_DEPLOYER } from '../../actors/gateway-deployer/index.ts';
import { envoyBackendSpec, nodeClusterOf, XdsServer } from '../../backends/envoy/index.ts';
import { type ControlPlane, type ControlPlaneOptions, createControlPlane } from '../../cli/control-plane.ts';
import type { PolicyAncestorStatusShape } from '../../model/resources/envoy-gateway-policies.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import type { ActorSpec } from '../../runtime/ActorSpec.ts';
import { createLogger } from '../../runtime/logger.ts';
import type { Message } from '../../runtime/message.ts';
import { eventually } from '../controlplane/kubernetes-harness.ts';
import { type Envoy, startEnvoy } from '../harness/envoy/index.ts';
import { type HttpAnswer, type HttpOptions, httpRequest } from './http-client.ts';

export interface FilesModeEnvoy {
  readonly plane: ControlPlane;
  readonly envoy: Envoy;
  stop(): Promise<void>;
}

/** A control plane reading `manifest` (no watch) and an Envoy (delta ADS) for the Gateway `namespace/name`. */
export async function startFilesModeEnvoy(
  manifest: string,
  gateway: { readonly namespace: string; readonly name: string },
  nodeId: string,
  options: Pick<ControlPlaneOptions, 'oidcDiscovery'> = {},
): Promise<FilesModeEnvoy> {
  const xds = await XdsServer.start({ address: '127.0.0.1:0' });
  const plane = createControlPlane({
    logger: createLogger({ level: 'silent' }),
    flushDelayMs: 20,
    files: { paths: [manifest], watch: false },
    ...options,
    backends: {
      envoy: envoyBackendSpec({
        name: 'backend.envoy',
        deployer: GATEWAY_DEPLOYER,
        xds,
        translate: { bindAddress: '127.0.0.1' },
      }) as unknown as ActorSpec<Message>,
    },
  });
  plane.system.start();
  const stopPlane = async () => {
    plane.close();
    await plane.system.stop(2_000);
    await xds.stop();
  };
  let envoy: Envoy;
  try {
    envoy = await startEnvoy({
      adsAddress: xds.address,
      nodeId,
      cluster: nodeClusterOf(
        resourceKey('gateway.networking.k8s.io', 'Gateway', gateway.namespace, gateway.name),
      ),
      delta: true,
    });
  } catch (error) {
    await stopPlane();
    throw error;
  }
  return {
    plane,
    envoy,
    stop: async () => {
      await envoy.stop();
      await stopPlane();
    },
  };
}

/** The GatewayClass `switchyard` of the controller these tests start. */
export const GATEWAY_CLASS_MANIFEST = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: switchyard }
spec: { controllerName: switchyard.dev/gateway-controller }`;

/** The GatewayClass `switchyard` and the Gateway apps/edge with one HTTP listener: where manifests start. */
export function edgeGatewayManifests(port: number): string[] {
  return [
    GATEWAY_CLASS_MANIFEST,
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: apps }
spec:
  gatewayClassName: switchyard
  listeners: [{ name: http, protocol: HTTP, port: ${port} }]`,
  ];
}

/** The HTTPRoute apps/`name` on the Gateway apps/edge sending `/<name>…` to the Backend apps/app. */
export function prefixRouteToApp(name: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /${name} } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: app }]`;
}

/** `text` indented by `spaces`: a block (a PEM, a nested spec) placed inside a YAML manifest. */
export function indentYaml(text: string, spaces: number): string {
  return text
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');
}

/**
 * `manifest` written to a temporary directory, and the control plane and an Envoy started on it for the Gateway
 * apps/edge; ready once a request to `ready.path` on `ready.port` is answered `ready.status` (a failure names the
 * plane's problems and Envoy's last log lines). Stopping removes the directory.
 */
export async function startManifestEnvoy(
  manifest: string,
  nodeId: string,
  ready: { readonly port: number; readonly path: string; readonly status: number } & HttpOptions,
  options: Pick<ControlPlaneOptions, 'oidcDiscovery'> = {},
): Promise<FilesModeEnvoy> {
  const dir = await mkdtemp(join(tmpdir(), `switchyard-${nodeId}-`));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  let running: FilesModeEnvoy;
  try {
    await writeFile(join(dir, 'manifest.yaml'), manifest);
    running = await startFilesModeEnvoy(
      join(dir, 'manifest.yaml'),
      { namespace: 'apps', name: 'edge' },
      nodeId,
      options,
    );
  } catch (error) {
    await removeDir();
    throw error;
  }
  const stop = async () => {
    await running.stop();
    await removeDir();
  };
  try {
    await eventually(`${ready.path} to answer ${ready.status}`, async () => {
      const answer: HttpAnswer = await httpRequest(ready.port, ready.path, ready);
      return answer.status === ready.status ? answer : undefined;
    });
  } catch (error) {
    const problems = JSON.stringify(running.plane.problems);
    const log = running.envoy.log(60);
    await stop();
    throw new Error(`${(error as Error).message}; problems: ${problems}\n${log}`);
  }
  return { ...running, stop };
}

/** A policy's condition of `type` on its first ancestor, as the control plane's store holds it. */
export function policyCondition(
  plane: ControlPlane,
  kind: 'SecurityPolicy' | 'EnvoyExtensionPolicy' | 'BackendTrafficPolicy' | 'ClientTrafficPolicy',
  namespace: string,
  name: string,
  type = 'Accepted',
): NonNullable<PolicyAncestorStatusShape['conditions']>[number] | undefined {
  const status = plane.store.get(kind, namespace, name)?.status as
    | { ancestors?: PolicyAncestorStatusShape[] }
    | undefined;
  return status?.ancestors?.[0]?.conditions?.find((c) => c.type === type);
}
