// The standalone control plane as `switchyard controller` runs it on a directory of YAML, programming one real
// Envoy for one Gateway: what end-to-end tests of Envoy Gateway's kinds start from a manifest file.
import { GATEWAY_DEPLOYER } from '../../actors/gateway-deployer/index.ts';
import { envoyBackendSpec, nodeClusterOf, XdsServer } from '../../backends/envoy/index.ts';
import { type ControlPlane, type ControlPlaneOptions, createControlPlane } from '../../cli/control-plane.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import type { ActorSpec } from '../../runtime/Actor.ts';
import { createLogger } from '../../runtime/logger.ts';
import type { Message } from '../../runtime/message.ts';
import { type Envoy, startEnvoy } from '../harness/envoy/index.ts';

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

/** `text` indented by `spaces`: a block (a PEM, a nested spec) placed inside a YAML manifest. */
export function indentYaml(text: string, spaces: number): string {
  return text
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');
}
